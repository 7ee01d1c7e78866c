"""Reference solution: UDP upper-case server on port 12000."""

from socket import AF_INET, SOCK_DGRAM, socket

SERVER_PORT = 12000


def main():
    server = socket(AF_INET, SOCK_DGRAM)
    server.bind(("", SERVER_PORT))
    print("The server is ready to receive")
    while True:
        message, client_address = server.recvfrom(65535)
        # bytes.upper() changes only the ASCII letters a-z; every other byte stays as it was
        server.sendto(message.upper(), client_address)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
