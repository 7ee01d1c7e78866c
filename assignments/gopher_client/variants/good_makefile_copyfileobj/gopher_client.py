import argparse
import shutil
import socket
import sys

parser = argparse.ArgumentParser(prog="gopher_client.py")
parser.add_argument("host")
parser.add_argument("selector")
args = parser.parse_args()

with socket.create_connection((args.host, 70)) as sock:
    with sock.makefile("rwb") as f:
        f.write(args.selector.encode() + b"\r\n")
        f.flush()
        shutil.copyfileobj(f, sys.stdout.buffer)  # reads until the server closes
sys.stdout.buffer.flush()
