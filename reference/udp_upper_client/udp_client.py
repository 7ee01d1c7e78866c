"""Reference solution: UDP upper-case client (server HOST, default localhost, port 12000)."""

import sys
from socket import AF_INET, SOCK_DGRAM, socket, timeout

SERVER_PORT = 12000


def main():
    server_name = sys.argv[1] if len(sys.argv) > 1 else "localhost"
    sentence = input("Input lowercase sentence:")
    with socket(AF_INET, SOCK_DGRAM) as client:
        client.settimeout(2)
        client.sendto(sentence.encode(), (server_name, SERVER_PORT))
        try:
            reply, _server = client.recvfrom(2048)
        except timeout:
            print("Request timed out")
            return 1
    print(reply.decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
