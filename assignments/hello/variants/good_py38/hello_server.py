#!/usr/bin/env python3
import socket
import sys

HOST = ''
PORT = 9000

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    s.bind((HOST, PORT))
except socket.error as msg:
    print('Bind failed. Error: %s' % (msg,))
    sys.exit(1)
s.listen(10)
print('Socket now listening')
while 1:
    conn, addr = s.accept()
    print('Connected with ' + addr[0] + ':' + str(addr[1]))
    conn.send(('Hello %s\n' % addr[0]).encode('utf-8'))
    conn.close()
