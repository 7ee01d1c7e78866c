"""Reference solution: echo client. Usage: echo_client.py [HOST [PORT]]"""

import socket
import sys


def recv_exactly(sock, n):
    """Read exactly n bytes: one recv() may return only part of the echo."""
    chunks = []
    while n > 0:
        chunk = sock.recv(min(n, 65536))
        if not chunk:
            raise ConnectionError("the server closed the connection early")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def main():
    host = sys.argv[1] if len(sys.argv) > 1 else "localhost"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 9000
    try:
        sock = socket.create_connection((host, port))
    except OSError as exc:
        print(f"echo_client: cannot connect to {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    with sock:
        for line in sys.stdin.buffer:
            sock.sendall(line)
            sys.stdout.buffer.write(recv_exactly(sock, len(line)))
            sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
