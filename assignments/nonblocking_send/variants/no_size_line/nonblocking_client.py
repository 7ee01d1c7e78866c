import select
import socket

data = b"foobar\n" * 1024 * 1024

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.connect(("localhost", 1234))
sock.setblocking(False)

sent = 0
while sent < len(data):
    try:
        sent += sock.send(data[sent:])
    except BlockingIOError:
        select.select([], [sock], [])
sock.close()
print("Sent", sent, "bytes")
