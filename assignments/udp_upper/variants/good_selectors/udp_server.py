import selectors
import socket

sel = selectors.DefaultSelector()
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("localhost", 12000))
sock.setblocking(False)
sel.register(sock, selectors.EVENT_READ)

while True:
    for key, _ in sel.select(timeout=1.0):
        while True:
            try:
                data, addr = key.fileobj.recvfrom(65535)
            except BlockingIOError:
                break
            key.fileobj.sendto(data.upper(), addr)
