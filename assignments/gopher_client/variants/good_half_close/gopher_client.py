import socket
import sys

if len(sys.argv) != 3:
    print("usage: gopher_client.py HOST SELECTOR", file=sys.stderr)
    sys.exit(2)
host, selector = sys.argv[1], sys.argv[2]
s = socket.create_connection((host, 70))
s.sendall(selector.encode("ascii") + b"\r\n")
s.shutdown(socket.SHUT_WR)  # the request is complete: tell the server, keep reading its answer
while True:
    chunk = s.recv(8192)
    if not chunk:
        break
    sys.stdout.buffer.write(chunk)
sys.stdout.buffer.flush()
s.close()
