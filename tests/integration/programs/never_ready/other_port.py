"""Listens on the wrong port, and waits in accept() there."""
import socket

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 9999))
s.listen()
while True:
    conn, _ = s.accept()
    conn.close()
