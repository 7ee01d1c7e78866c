"""select() echo server that logs every client leaving with getpeername().

It catches ConnectionResetError around recv(), but then treats the reset
like an ordinary close and logs sock.getpeername(): after an RST the socket
is no longer connected, getpeername() raises OSError (ENOTCONN) and the
server dies. After an ordinary FIN getpeername() still works, so only a
reset shows the bug.
"""

import select
import socket

listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("", 10000))
listener.listen(100)
listener.setblocking(False)

pending = {}  # socket -> bytes still to send back
closing = set()

while True:
    readers = [listener] + [s for s in pending if s not in closing]
    writers = [s for s in pending if pending[s]]
    readable, writable, _ = select.select(readers, writers, [])
    for s in readable:
        if s is listener:
            conn, addr = listener.accept()
            print("new client", addr)
            conn.setblocking(False)
            pending[conn] = b""
            continue
        try:
            data = s.recv(4096)
        except ConnectionResetError:
            data = b""
        if data:
            pending[s] += data
        else:
            print("client", s.getpeername(), "is done")
            if pending[s]:
                closing.add(s)
            else:
                del pending[s]
                s.close()
    for s in writable:
        if s not in pending:
            continue
        try:
            sent = s.send(pending[s])
        except OSError:
            del pending[s]
            closing.discard(s)
            s.close()
            continue
        pending[s] = pending[s][sent:]
        if s in closing and not pending[s]:
            closing.discard(s)
            del pending[s]
            s.close()
