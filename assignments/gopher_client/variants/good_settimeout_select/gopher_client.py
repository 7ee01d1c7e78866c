import argparse
import select
import socket
import sys

parser = argparse.ArgumentParser(description="Gopher client: copy a document to stdout")
parser.add_argument("host")
parser.add_argument("selector")
args = parser.parse_args()

try:
    sock = socket.create_connection((args.host, 70), timeout=5)
except OSError as exc:
    print(f"gopher_client: {args.host}: {exc}", file=sys.stderr)
    sys.exit(1)
sock.sendall(args.selector.encode() + b"\r\n")
sock.setblocking(False)
out = sys.stdout.buffer
while True:
    readable, _, _ = select.select([sock], [], [], 10)
    if not readable:
        print("gopher_client: the server stopped sending", file=sys.stderr)
        sys.exit(1)
    data = sock.recv(65536)
    if not data:
        break
    out.write(data)
out.flush()
sock.close()
