import select
import socket

sock = socket.socket()
sock.setblocking(0)
sock.settimeout(0.5)
sock.bind(("127.0.0.1", 0))
print("Trivial Server launched on socket: %s" % str(sock.getsockname()))
sock.listen(5)
while True:
    readable, _, _ = select.select([sock], [], [], 5)
    if readable:
        c, _ = sock.accept()
        c.close()
