import socket
import sys

host, selector = sys.argv[1], sys.argv[2]  # IndexError (a traceback) when an argument is missing
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect((host, 70))
s.sendall(selector.encode() + b"\r\n")
while True:
    data = s.recv(4096)
    if not data:
        break
    sys.stdout.buffer.write(data)
s.close()
