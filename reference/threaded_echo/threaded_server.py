"""Reference solution: TCP echo server on port 9000, one thread per client."""

import socket
import threading

HOST, PORT = "", 9000


def handle(conn):
    """Echo everything this client sends, until it closes its side."""
    with conn:
        while True:
            try:
                data = conn.recv(65536)
            except ConnectionResetError:
                return
            if not data:
                return  # the client closed its side: the thread ends here
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
            threading.Thread(target=handle, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
