import os
import signal
import socket

signal.signal(signal.SIGCHLD, signal.SIG_IGN)

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("", 9000))
s.listen(5)
while True:
    conn, addr = s.accept()
    if os.fork() == 0:
        while True:
            data = conn.recv(1024)
            if not data:
                break
            conn.sendall(data)
        conn.close()
        # no os._exit(): the child goes back to the loop and accepts clients itself
    else:
        conn.close()
