import select
import socket
import sys

PORT = 12000


def main() -> int:
    host = sys.argv[1] if len(sys.argv) > 1 else "localhost"
    line = sys.stdin.readline().rstrip("\n")
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.sendto(line.encode(), (host, PORT))
    ready, _, _ = select.select([sock], [], [], 2.0)
    if not ready:
        print("Request timed out")
        return 1
    data, server = sock.recvfrom(65535)
    print(f"Reply from {server[0]}:{server[1]}: {data.decode()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
