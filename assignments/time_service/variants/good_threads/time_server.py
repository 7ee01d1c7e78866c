import socket
import threading
import time


def serve(conn):
    with conn:
        conn.sendall(time.ctime().encode("ascii") + b"\r\n")


s = socket.socket()
s.bind(("0.0.0.0", 8888))
s.listen()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
