#!/usr/bin/env python3
# Simple Gopher client (Python 3.8)
import argparse
import socket
import sys

GOPHER_PORT = 70

if __name__ == '__main__':
    parser = argparse.ArgumentParser(description='Fetch a document from a Gopher server')
    parser.add_argument('host', type=str)
    parser.add_argument('selector', type=str)
    args = parser.parse_args()

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.connect((args.host, GOPHER_PORT))
    sock.sendall(bytes('%s\r\n' % args.selector, 'ascii'))
    response = b''
    while True:
        data = sock.recv(2048)
        if not data:
            break
        response += data
    sock.close()
    sys.stdout.buffer.write(response)
