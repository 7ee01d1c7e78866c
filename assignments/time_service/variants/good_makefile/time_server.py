"""Reference solution: time server on TCP port 8888 (sends time.ctime(), then closes)."""

import socket
import time

HOST, PORT = "", 8888


def main():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind((HOST, PORT))
        listener.listen()
        while True:
            conn, _addr = listener.accept()
            with conn:
                try:
                    conn.sendall(time.ctime().encode("ascii"))  # the time of THIS connection
                except OSError:
                    pass  # the client left already: serve the next one


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
