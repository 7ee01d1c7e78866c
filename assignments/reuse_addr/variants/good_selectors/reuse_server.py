import selectors
import socket

sel = selectors.DefaultSelector()

lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
print("Old sock state: %d" % lsock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR))
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
print("New sock state: %d" % lsock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR))
lsock.bind(("127.0.0.1", 8282))
lsock.listen()
lsock.setblocking(False)
sel.register(lsock, selectors.EVENT_READ, data=None)
print("Listening on port: 8282")


def accept(sock):
    conn, addr = sock.accept()
    print("Connected by %s:%d" % addr)
    conn.setblocking(False)
    sel.register(conn, selectors.EVENT_READ, data=addr)


def service(key):
    conn = key.fileobj
    try:
        data = conn.recv(1024)
    except ConnectionError:
        data = b""
    if data:
        conn.sendall(data)
    else:
        print("Closing", key.data)
        sel.unregister(conn)
        conn.close()


try:
    while True:
        for key, _mask in sel.select():
            if key.data is None:
                accept(key.fileobj)
            else:
                service(key)
except KeyboardInterrupt:
    print("Caught keyboard interrupt, exiting")
finally:
    sel.close()
