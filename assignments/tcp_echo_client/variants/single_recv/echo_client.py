import socket
import sys

HOST = 'localhost'
PORT = 9000
try:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.connect((HOST, PORT))
except ConnectionRefusedError:
    print("Could not connect to the server")
    sys.exit(1)
for line in sys.stdin:
    s.sendall(line.encode())
    data = s.recv(1024)
    sys.stdout.write(data.decode())
s.close()
