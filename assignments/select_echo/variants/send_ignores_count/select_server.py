"""Like a correct select() echo server, except that it calls sock.send(queue)
and then empties the queue, as if send() always took everything."""

import select
import socket

HOST, PORT = "", 10000

listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((HOST, PORT))
listener.listen(128)
listener.setblocking(False)

queues = {}    # socket -> bytes still to send
finished = set()


def drop(sock):
    queues.pop(sock, None)
    finished.discard(sock)
    sock.close()


while True:
    readers = [listener] + [s for s in queues if s not in finished]
    writers = [s for s in queues if queues[s]]
    readable, writable, _ = select.select(readers, writers, [])
    for sock in readable:
        if sock is listener:
            conn, _ = listener.accept()
            conn.setblocking(False)
            queues[conn] = b""
            continue
        try:
            data = sock.recv(65536)
        except OSError:
            drop(sock)
            continue
        if data:
            queues[sock] += data
        else:
            finished.add(sock)
            if not queues[sock]:
                drop(sock)
    for sock in writable:
        if sock not in queues:
            continue
        try:
            sock.send(queues[sock])
        except BlockingIOError:
            continue
        except OSError:
            drop(sock)
            continue
        queues[sock] = b""
        if sock in finished:
            drop(sock)
