import socket
import sys

host = sys.argv[1] if len(sys.argv) > 1 else 'localhost'
port = int(sys.argv[2]) if len(sys.argv) > 2 else 9000
log = sys.stderr  # the echo goes to stdout; everything else is a log on stderr

print(f'[client] connecting to {host}:{port}', file=log)
try:
    sock = socket.create_connection((host, port))
except OSError as exc:
    print(f'[client] connection failed: {exc}', file=log)
    sys.exit(1)
print(f'[client] connected from {sock.getsockname()}', file=log)
for number, line in enumerate(sys.stdin.buffer, 1):
    print(f'[client] line {number}: sending {len(line)} bytes', file=log)
    sock.sendall(line)
    received = 0
    while received < len(line):
        chunk = sock.recv(1000)
        if not chunk:
            print('[client] server went away', file=log)
            sys.exit(1)
        received += len(chunk)
        print(f'[client] line {number}: got {len(chunk)} bytes ({received}/{len(line)}): {chunk[:40]!r}', file=log)
        sys.stdout.buffer.write(chunk)
    sys.stdout.buffer.flush()
print('[client] end of input, closing', file=log)
sock.close()
