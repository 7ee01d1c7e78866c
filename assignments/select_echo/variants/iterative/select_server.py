"""An iterative echo server: one client at a time, no select()."""

import socket

HOST, PORT = "", 10000

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, PORT))
    listener.listen(5)
    while True:
        conn, addr = listener.accept()
        with conn:
            while True:
                try:
                    data = conn.recv(4096)
                except ConnectionResetError:
                    break
                if not data:
                    break
                try:
                    conn.sendall(data)
                except OSError:
                    break
