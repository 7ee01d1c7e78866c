import socket
import sys

HOST = sys.argv[1] if len(sys.argv) > 1 else 'localhost'
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 9000

try:
    sock = socket.create_connection((HOST, PORT))
except ConnectionRefusedError:
    sys.exit(f"Connection refused by {HOST}:{PORT}")

# The echo of a line ends with its newline, so readline() returns exactly one echo.
f = sock.makefile('rwb')
for line in sys.stdin.buffer:
    f.write(line)
    f.flush()
    sys.stdout.buffer.write(f.readline())
    sys.stdout.buffer.flush()
f.close()
sock.close()
