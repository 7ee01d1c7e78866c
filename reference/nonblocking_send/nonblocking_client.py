"""Send 7 MiB to localhost:1234 through a non-blocking socket.

send() on a non-blocking socket copies only what fits in the kernel's send
buffer and returns that count (or raises BlockingIOError when nothing fits).
So we keep an offset, and when the buffer is full we wait in select() until
the socket is writable again instead of spinning or sleeping.
"""

import select
import socket

HOST, PORT = "localhost", 1234

data = b"foobar\n" * 1024 * 1024
print(f"Bytes to send: {len(data)}")

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.connect((HOST, PORT))
sock.setblocking(False)

view = memoryview(data)
sent = 0
while sent < len(data):
    try:
        sent += sock.send(view[sent:])
    except BlockingIOError:
        select.select([], [sock], [])  # wait until there is room in the send buffer

sock.close()
print(f"Sent {sent} bytes")
