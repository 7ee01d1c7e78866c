"""select() echo server with no error handling: a client's RST raises
ConnectionResetError out of recv() (or send()) and the server dies."""

import select
import socket

HOST, PORT = "", 10000

listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((HOST, PORT))
listener.listen(128)
listener.setblocking(False)

clients = {}  # socket -> bytearray still to send

while True:
    writers = [s for s in clients if clients[s]]
    readable, writable, _ = select.select([listener] + list(clients), writers, [])
    for sock in readable:
        if sock is listener:
            conn, _ = listener.accept()
            conn.setblocking(False)
            clients[conn] = bytearray()
            continue
        data = sock.recv(65536)
        if data:
            clients[sock] += data
        elif not clients[sock]:
            del clients[sock]
            sock.close()
    for sock in writable:
        if sock in clients:
            sent = sock.send(clients[sock])
            del clients[sock][:sent]
