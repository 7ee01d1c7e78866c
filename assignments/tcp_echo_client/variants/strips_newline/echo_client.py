import socket
import sys

try:
    s = socket.create_connection(('localhost', 9000))
except ConnectionRefusedError:
    print('Connection refused: is the server running?')
    sys.exit(1)
for line in sys.stdin:
    msg = line.strip().encode()
    s.sendall(msg)
    echo = b''
    while len(echo) < len(msg):
        echo += s.recv(1024)
    print(echo.decode())
s.close()
