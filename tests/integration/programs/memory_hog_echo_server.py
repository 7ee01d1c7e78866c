"""An echo server that first fills 1.5 GB (zero-filled, so every page is touched): past the sandbox's limit."""
import socket

hoard = bytearray(1500 << 20)
with socket.socket() as s:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", 9000))
    s.listen()
    while True:
        c, _ = s.accept()
        with c:
            while d := c.recv(65536):
                c.sendall(d)
