#!/usr/bin/env python3
# TCP echo client (written for Python 3.8)
import socket
import sys

if len(sys.argv) > 1:
    host = sys.argv[1]
else:
    host = 'localhost'
if len(sys.argv) > 2:
    port = int(sys.argv[2])
else:
    port = 9000

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    sock.connect((host, port))
except socket.error as e:
    sys.stderr.write('Error connecting to %s:%d: %s\n' % (host, port, e))
    sys.exit(1)

try:
    while True:
        line = sys.stdin.buffer.readline()
        if line == b'':
            break
        sock.sendall(line)
        amount_received = 0
        amount_expected = len(line)
        while amount_received < amount_expected:
            data = sock.recv(16)
            if not data:
                break
            amount_received += len(data)
            sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
finally:
    sock.close()
