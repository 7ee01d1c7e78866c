import socket
import sys

host = sys.argv[1] if len(sys.argv) > 1 else "localhost"
sock = socket.create_connection((host, 8888))
with sock.makefile("rb") as f:
    data = f.read()  # reads until the server closes
sock.close()
print("The time is " + data.decode().strip())
