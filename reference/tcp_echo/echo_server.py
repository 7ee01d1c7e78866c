"""Reference solution: TCP echo server on port 9000, one client at a time."""

import socket

HOST, PORT = "", 9000


def serve(conn):
    with conn:
        while True:
            try:
                data = conn.recv(65536)
            except ConnectionResetError:
                return
            if not data:
                return  # the client closed its side; everything received was already echoed
            try:
                conn.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                return


def main():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind((HOST, PORT))
        listener.listen()
        while True:
            conn, _addr = listener.accept()
            serve(conn)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
