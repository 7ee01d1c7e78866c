import argparse
import socket

parser = argparse.ArgumentParser()
parser.add_argument("host")
parser.add_argument("selector")
args = parser.parse_args()
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect((args.host, 70))
s.sendall(args.selector.encode() + b"\r\n")
while True:
    data = s.recv(4096)
    if not data:
        break
    print(data.decode(), end="")  # text, not bytes: breaks on anything that is not UTF-8
s.close()
