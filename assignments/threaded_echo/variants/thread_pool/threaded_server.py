import socket
from concurrent.futures import ThreadPoolExecutor


def handle(conn):
    with conn:
        while True:
            data = conn.recv(1024)
            if not data:
                break
            conn.sendall(data)


pool = ThreadPoolExecutor(max_workers=8)  # at most 8 clients are served at once
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("", 9000))
s.listen(5)
while True:
    conn, addr = s.accept()
    pool.submit(handle, conn)
