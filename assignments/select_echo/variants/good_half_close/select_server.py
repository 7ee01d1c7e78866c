# select() echo server; when a client half-closes and its echo has been sent,
# the server half-closes too (shutdown(SHUT_WR)) and then closes.
import select
import socket

PORT = 10000
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("localhost", PORT))
srv.listen(128)
srv.setblocking(False)

pending = {}
eof = set()


def finish(s):
    try:
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    s.close()
    del pending[s]
    eof.discard(s)


while True:
    r, w, _ = select.select([srv] + [s for s in pending if s not in eof], [s for s in pending if pending[s]], [])
    for s in r:
        if s is srv:
            c, _ = srv.accept()
            c.setblocking(False)
            pending[c] = bytearray()
        else:
            try:
                d = s.recv(4096)
            except ConnectionResetError:
                s.close()
                del pending[s]
                continue
            if d:
                pending[s] += d
            else:
                eof.add(s)
                if not pending[s]:
                    finish(s)
    for s in w:
        if s not in pending:
            continue
        try:
            k = s.send(pending[s])
        except (BrokenPipeError, ConnectionResetError):
            s.close()
            del pending[s]
            eof.discard(s)
            continue
        del pending[s][:k]
        if s in eof and not pending[s]:
            finish(s)
