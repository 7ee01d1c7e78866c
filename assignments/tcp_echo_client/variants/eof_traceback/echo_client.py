import socket
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    s.connect(('localhost', 9000))
except ConnectionRefusedError:
    print('Server is not running')
    sys.exit(1)
while True:
    msg = input() + '\n'  # EOFError (a traceback, exit status 1) at the end of the input
    s.sendall(msg.encode())
    data = b''
    while len(data) < len(msg):
        data += s.recv(1024)
    print(data.decode(), end='')
