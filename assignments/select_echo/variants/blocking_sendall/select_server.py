"""select() for reading, but blocking sockets and sendall() for the echo: a
client that does not read its echo blocks the whole server."""

import select
import socket

HOST, PORT = "", 10000

listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((HOST, PORT))
listener.listen(128)

sockets = [listener]

while True:
    readable, _, _ = select.select(sockets, [], [])
    for sock in readable:
        if sock is listener:
            conn, _ = listener.accept()
            sockets.append(conn)
            continue
        try:
            data = sock.recv(65536)
            if data:
                sock.sendall(data)
                continue
        except OSError:
            pass
        sockets.remove(sock)
        sock.close()
