"""Echo server with select.poll(): one thread, non-blocking sockets."""
import select
import socket

READ = select.POLLIN | select.POLLPRI | select.POLLHUP | select.POLLERR
WRITE = select.POLLOUT

listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("0.0.0.0", 10000))
listener.listen(64)
listener.setblocking(False)

poller = select.poll()
poller.register(listener, READ)
socks = {listener.fileno(): listener}
out = {}
half_closed = set()


def update(fd):
    mask = 0 if fd in half_closed else READ
    if out[fd]:
        mask |= WRITE
    poller.modify(fd, mask)


def forget(fd):
    poller.unregister(fd)
    socks.pop(fd).close()
    out.pop(fd, None)
    half_closed.discard(fd)


while True:
    for fd, event in poller.poll():
        if fd == listener.fileno():
            conn, addr = listener.accept()
            conn.setblocking(False)
            socks[conn.fileno()] = conn
            out[conn.fileno()] = b""
            poller.register(conn, READ)
            continue
        sock = socks.get(fd)
        if sock is None:
            continue
        if event & (select.POLLIN | select.POLLHUP | select.POLLERR) and fd not in half_closed:
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                data = None
            except OSError:
                forget(fd)
                continue
            if data == b"":
                half_closed.add(fd)
            elif data:
                out[fd] += data
        if out[fd]:
            try:
                sent = sock.send(out[fd])
                out[fd] = out[fd][sent:]
            except BlockingIOError:
                pass
            except OSError:
                forget(fd)
                continue
        if fd in half_closed and not out[fd]:
            forget(fd)
        else:
            update(fd)
