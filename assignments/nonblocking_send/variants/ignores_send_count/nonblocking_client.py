import select
import socket

CHUNK = 64 * 1024

data = b"foobar\n" * 1024 * 1024
print("Bytes to send:", len(data))

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.connect(("localhost", 1234))
sock.setblocking(False)

for start in range(0, len(data), CHUNK):
    select.select([], [sock], [])          # wait until the socket is writable
    sock.send(data[start:start + CHUNK])   # ...and assume the whole chunk went out
sock.close()
print("Done")
