"""An echo server with one thread per client instead of select()."""

import socket
import threading

HOST, PORT = "", 10000


def handle(conn):
    with conn:
        while True:
            try:
                data = conn.recv(4096)
                if not data:
                    break
                conn.sendall(data)
            except OSError:
                break


listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((HOST, PORT))
listener.listen(128)
try:
    while True:
        conn, addr = listener.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()
except KeyboardInterrupt:
    pass
