# Forking echo server; SIGCHLD is ignored, so the kernel reaps children itself.
import os
import signal
import socket

signal.signal(signal.SIGCHLD, signal.SIG_IGN)

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('', 9000))
s.listen(5)

while True:
    conn, addr = s.accept()
    if os.fork() == 0:
        s.close()
        while True:
            try:
                data = conn.recv(1024)
            except ConnectionResetError:
                break
            if not data:
                break
            conn.sendall(data)
        conn.close()
        os._exit(0)
    conn.close()
