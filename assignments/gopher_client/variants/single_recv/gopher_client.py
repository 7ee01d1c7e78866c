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
sys.stdout.buffer.write(s.recv(65536))  # one recv() is not the whole document
s.close()
