import select
import socket
import sys

data = b"foobar\n" * 1024 * 1024
print(f"Bytes to send: {len(data)}")

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.connect(("localhost", 1234))
sock.setblocking(False)

total = 0
waits = 0
while total < len(data):
    try:
        n = sock.send(data[total:total + 8192])
        total += n
        print(f"sent {n} bytes, {total}/{len(data)} ({100 * total / len(data):.1f}%)")
    except BlockingIOError:
        waits += 1
        print(f"send buffer full (wait #{waits}), waiting in select()", file=sys.stderr)
        select.select([], [sock], [])
sock.close()
print(f"finished: {total} bytes, waited {waits} times")
