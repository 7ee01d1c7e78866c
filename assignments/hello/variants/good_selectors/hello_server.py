import selectors
import socket

sel = selectors.DefaultSelector()
listener = socket.socket()
listener.bind(("localhost", 9000))
listener.listen()
listener.setblocking(False)
sel.register(listener, selectors.EVENT_READ)

while True:
    for key, _ in sel.select():
        conn, addr = key.fileobj.accept()
        print("greeting", addr)
        conn.setblocking(True)
        conn.sendall(b"Hello " + addr[0].encode() + b"\n")
        conn.close()
