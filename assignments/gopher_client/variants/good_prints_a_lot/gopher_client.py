import argparse
import socket
import sys

p = argparse.ArgumentParser()
p.add_argument("host")
p.add_argument("selector")
args = p.parse_args()

log = sys.stderr  # stdout is the document; the log goes to stderr
print(f"connecting to {args.host}:70", file=log)
s = socket.create_connection((args.host, 70), timeout=10)
print(f"connected from {s.getsockname()}, sending {args.selector!r}", file=log)
s.sendall(f"{args.selector}\r\n".encode())
total = 0
n = 0
while True:
    chunk = s.recv(512)
    if not chunk:
        break
    n += 1
    total += len(chunk)
    print(f"chunk {n}: {len(chunk)} bytes, {total} so far", file=log)
    sys.stdout.buffer.write(chunk)
    sys.stdout.buffer.flush()
print(f"server closed the connection after {total} bytes in {n} chunks", file=log)
s.close()
