"""Echo server with the selectors module, one thread, several clients."""
import selectors
import socket
import types

sel = selectors.DefaultSelector()


def accept(listener):
    conn, addr = listener.accept()
    print("accepted", addr)
    conn.setblocking(False)
    sel.register(conn, selectors.EVENT_READ, data=types.SimpleNamespace(addr=addr, out=b"", eof=False))


def drop(sock):
    sel.unregister(sock)
    sock.close()


def service(key, mask):
    sock, client = key.fileobj, key.data
    if mask & selectors.EVENT_READ:
        try:
            chunk = sock.recv(4096)
        except ConnectionError:
            drop(sock)
            return
        if chunk:
            client.out += chunk
        else:
            client.eof = True
    if mask & selectors.EVENT_WRITE or client.out:
        try:
            sent = sock.send(client.out)
        except BlockingIOError:
            sent = 0
        except ConnectionError:
            drop(sock)
            return
        client.out = client.out[sent:]
    if client.eof and not client.out:
        print("closing", client.addr)
        drop(sock)
        return
    events = 0 if client.eof else selectors.EVENT_READ
    if client.out:
        events |= selectors.EVENT_WRITE
    sel.modify(sock, events, data=client)


listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 9000))
listener.listen()
listener.setblocking(False)
sel.register(listener, selectors.EVENT_READ, data=None)

while True:
    for key, mask in sel.select():
        if key.data is None:
            accept(key.fileobj)
        else:
            service(key, mask)
