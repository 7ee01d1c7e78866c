#!/usr/bin/env python3
# UDP client (Python 3.8 era)
import socket
import sys

if len(sys.argv) > 1:
    host = sys.argv[1]
else:
    host = 'localhost'
port = 12000

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.settimeout(2.0)
message = input('Input lowercase sentence:')
try:
    sock.sendto(message.encode('utf-8'), (host, port))
    data, server = sock.recvfrom(4096)
    print('%s' % data.decode('utf-8'))
    exit_code = 0
except socket.timeout:
    print('Request timed out')
    exit_code = 1
finally:
    sock.close()
sys.exit(exit_code)
