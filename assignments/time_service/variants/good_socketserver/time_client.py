"""Reference solution: time client (python3 time_client.py [HOST]; port 8888)."""

import socket
import sys

PORT = 8888


def main():
    host = sys.argv[1] if len(sys.argv) > 1 else "localhost"
    received = bytearray()
    with socket.create_connection((host, PORT)) as conn:
        while True:  # one recv() may return only part of what the server sent
            data = conn.recv(1024)
            if not data:  # the server closed: everything has arrived
                break
            received += data
    print("The time is", received.decode("ascii").strip())


if __name__ == "__main__":
    main()
