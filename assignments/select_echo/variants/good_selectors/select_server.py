"""Multi-connection echo server with selectors, in the style of the Real Python tutorial.

A client is registered for EVENT_READ; while it has output pending it is
switched to EVENT_WRITE only (no reading until its echo has gone out).
"""
import selectors
import socket
import types

HOST, PORT = "127.0.0.1", 10000
sel = selectors.DefaultSelector()


def accept_wrapper(sock):
    conn, addr = sock.accept()
    print(f"Accepted connection from {addr}")
    conn.setblocking(False)
    data = types.SimpleNamespace(addr=addr, outb=b"", eof=False)
    sel.register(conn, selectors.EVENT_READ, data=data)


def close(sock, data):
    print(f"Closing connection to {data.addr}")
    sel.unregister(sock)
    sock.close()


def service_connection(key, mask):
    sock, data = key.fileobj, key.data
    if mask & selectors.EVENT_READ:
        try:
            recv_data = sock.recv(1024)
        except ConnectionResetError:
            close(sock, data)
            return
        if recv_data:
            data.outb += recv_data
            sel.modify(sock, selectors.EVENT_WRITE, data=data)
        else:
            close(sock, data)
            return
    if mask & selectors.EVENT_WRITE:
        try:
            sent = sock.send(data.outb)
        except BlockingIOError:
            return
        except OSError:
            close(sock, data)
            return
        data.outb = data.outb[sent:]
        if not data.outb:
            sel.modify(sock, selectors.EVENT_READ, data=data)


lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind((HOST, PORT))
lsock.listen()
print(f"Listening on {(HOST, PORT)}")
lsock.setblocking(False)
sel.register(lsock, selectors.EVENT_READ, data=None)

try:
    while True:
        events = sel.select(timeout=None)
        for key, mask in events:
            if key.data is None:
                accept_wrapper(key.fileobj)
            else:
                service_connection(key, mask)
except KeyboardInterrupt:
    print("Caught keyboard interrupt, exiting")
finally:
    sel.close()
