import argparse
import socket
import sys

parser = argparse.ArgumentParser()
parser.add_argument("host")
parser.add_argument("selector")
args = parser.parse_args()
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect((args.host, 70))
s.sendall((args.selector + "\n").encode())  # Gopher wants CRLF after the selector
while True:
    data = s.recv(4096)
    if not data:
        break
    sys.stdout.buffer.write(data)
s.close()
