import argparse
import socket
import sys

parser = argparse.ArgumentParser(description="Send a sentence to the UDP upper-case server.")
parser.add_argument("host", nargs="?", default="localhost", help="server host (default: localhost)")
args = parser.parse_args()

sentence = sys.stdin.readline()
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
    sock.settimeout(2.0)
    sock.sendto(sentence.encode("ascii"), (args.host, 12000))
    try:
        reply, _ = sock.recvfrom(4096)
    except TimeoutError:  # socket.timeout is an alias of TimeoutError since Python 3.10
        print("Request timed out")
        sys.exit(1)
print(reply.decode("ascii").rstrip("\n"))
