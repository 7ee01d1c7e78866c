import argparse
import socket
import sys

parser = argparse.ArgumentParser()
parser.add_argument("host")
parser.add_argument("selector")
args = parser.parse_args()
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect((args.host, 70))
s.sendall(args.selector.encode() + b"\r\n")
while True:
    data = s.recv(4096)
    sys.stdout.buffer.write(data)
    if len(data) < 4096:  # a short read is taken for the end of the document
        break
s.close()
