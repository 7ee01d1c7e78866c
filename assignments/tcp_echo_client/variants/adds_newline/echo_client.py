import socket
import sys

host = sys.argv[1] if len(sys.argv) > 1 else 'localhost'
port = int(sys.argv[2]) if len(sys.argv) > 2 else 9000
try:
    sock = socket.create_connection((host, port))
except OSError as e:
    print("Error:", e)
    sys.exit(1)
for line in sys.stdin:
    data = line.encode()
    sock.sendall(data)
    received = b''
    while len(received) < len(data):
        chunk = sock.recv(4096)
        if not chunk:
            break
        received += chunk
    print(received.decode())
sock.close()
