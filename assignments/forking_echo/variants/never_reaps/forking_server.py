import os
import socket

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("", 9000))
s.listen(5)
while True:
    conn, addr = s.accept()
    pid = os.fork()
    if pid == 0:
        s.close()
        while True:
            data = conn.recv(1024)
            if not data:
                break
            conn.sendall(data)
        conn.close()
        os._exit(0)
    conn.close()  # but no waitpid(): every finished child stays a zombie
