import socket
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
host = sys.argv[1] if len(sys.argv) > 1 else 'localhost'
s.connect((host, 8888))
tm = b''
while True:
    part = s.recv(1024)
    if part == b'':
        break
    tm += part
s.close()
print("The time is %s" % tm.decode('ascii'))
