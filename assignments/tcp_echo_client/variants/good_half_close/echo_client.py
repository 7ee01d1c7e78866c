import socket
import sys

host = sys.argv[1] if len(sys.argv) > 1 else "localhost"
port = int(sys.argv[2]) if len(sys.argv) > 2 else 9000
try:
    s = socket.create_connection((host, port))
except OSError as exc:
    print(f"cannot connect to {host}:{port}: {exc}", file=sys.stderr)
    sys.exit(1)

lines = sys.stdin.buffer.readlines()
out = sys.stdout.buffer
for i, line in enumerate(lines):
    s.sendall(line)
    if i == len(lines) - 1:
        s.shutdown(socket.SHUT_WR)  # nothing more to send: half-close, the echo still comes back
    got = 0
    while got < len(line):
        data = s.recv(4096)
        if not data:
            sys.exit("server closed the connection early")
        out.write(data)
        got += len(data)
    out.flush()
# after our FIN the server closes too: read to the end of the stream
while s.recv(4096):
    pass
s.close()
