"""select() echo server that forgets to close the sockets of clients that
leave: it drops them from its select() lists but keeps them in its address
book, so they stay open."""

import select
import socket

HOST, PORT = "", 10000

listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((HOST, PORT))
listener.listen(128)
listener.setblocking(False)

inputs = [listener]
pending = {}    # socket -> bytearray still to send
addresses = {}  # socket -> client address, for the log

while True:
    writers = [s for s in pending if pending[s]]
    readable, writable, _ = select.select(inputs, writers, [])
    for sock in readable:
        if sock is listener:
            conn, addr = listener.accept()
            conn.setblocking(False)
            inputs.append(conn)
            pending[conn] = bytearray()
            addresses[conn] = addr
            continue
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        if data:
            pending[sock] += data
        else:
            inputs.remove(sock)
            del pending[sock]
    for sock in writable:
        if sock not in pending:
            continue
        try:
            sent = sock.send(pending[sock])
        except BlockingIOError:
            continue
        except OSError:
            inputs.remove(sock)
            del pending[sock]
            continue
        del pending[sock][:sent]
