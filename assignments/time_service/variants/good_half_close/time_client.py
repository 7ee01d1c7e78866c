import socket
import sys

host = "localhost"
if len(sys.argv) > 1:
    host = sys.argv[1]
s = socket.socket()
s.connect((host, 8888))
s.shutdown(socket.SHUT_WR)  # we send nothing
chunks = []
while True:
    chunk = s.recv(16)
    if not chunk:
        break
    chunks.append(chunk)
s.close()
print("The time is", b"".join(chunks).decode())
