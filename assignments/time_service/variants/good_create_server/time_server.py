import socket
import time

with socket.create_server(("", 8888)) as srv:
    while True:
        conn, addr = srv.accept()
        print(f"connection from {addr}")
        with conn:
            conn.sendall(time.ctime().encode())
