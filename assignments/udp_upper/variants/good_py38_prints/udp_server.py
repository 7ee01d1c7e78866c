#!/usr/bin/env python3
# UDP upper-case server (Python 3.8): prints every datagram it handles
import socket
import sys

PORT = 12000

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('', PORT))
print('Server listening on port %d' % PORT)
count = 0
while 1:
    try:
        data, address = s.recvfrom(65535)
    except KeyboardInterrupt:
        print('Server stopped after %d datagrams' % count)
        sys.exit(0)
    count += 1
    print('#%d from %s:%d: %r' % (count, address[0], address[1], data))
    s.sendto(data.upper(), address)
    print('#%d replied %d bytes' % (count, len(data)))
