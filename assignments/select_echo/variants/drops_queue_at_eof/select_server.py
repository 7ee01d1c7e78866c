"""select() echo server that closes a client as soon as it sees EOF, dropping
whatever it still owed that client."""

import select
import socket

HOST, PORT = "", 10000

listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((HOST, PORT))
listener.listen(128)
listener.setblocking(False)

buffers = {}  # socket -> bytes waiting to be echoed


def close(sock):
    del buffers[sock]
    sock.close()


while True:
    writers = [s for s in buffers if buffers[s]]
    readable, writable, _ = select.select([listener] + list(buffers), writers, [])
    for sock in readable:
        if sock is listener:
            conn, _ = listener.accept()
            conn.setblocking(False)
            buffers[conn] = b""
            continue
        try:
            data = sock.recv(65536)
        except OSError:
            close(sock)
            continue
        if not data:
            close(sock)  # the client is done: forget it
        else:
            buffers[sock] += data
    for sock in writable:
        if sock not in buffers:
            continue
        try:
            sent = sock.send(buffers[sock])
        except BlockingIOError:
            continue
        except OSError:
            close(sock)
            continue
        buffers[sock] = buffers[sock][sent:]
