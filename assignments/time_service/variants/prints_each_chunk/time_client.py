import socket
import sys

host = sys.argv[1] if len(sys.argv) > 1 else 'localhost'
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect((host, 8888))
while True:
    tm = s.recv(1024)
    if not tm:
        break
    print("The time is %s" % tm.decode('ascii'))
s.close()
