import socket
import sys

try:
    sock = socket.create_connection(('localhost', 9000))
except OSError as e:
    print("cannot connect:", e, file=sys.stderr)
    sys.exit(1)
data = sys.stdin.buffer.read()
sock.sendall(data)
received = b''
while len(received) < len(data):
    chunk = sock.recv(65536)
    if not chunk:
        break
    received += chunk
sys.stdout.buffer.write(received)
sock.close()
