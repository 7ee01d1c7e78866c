"""Lab 1: echo server -- Tomas Novak.

A message is one line, so when the line is complete the conversation is
over and the server hangs up and takes the next client.
"""
import socket

BUFFER = 1024


def serve_client(conn):
    with conn:
        while True:
            try:
                data = conn.recv(BUFFER)
            except ConnectionResetError:
                return
            if not data:
                return
            try:
                conn.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                return
            if data.endswith(b"\n"):
                return  # end of the message: done with this client


def main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("localhost", 9000))
    sock.listen(5)
    try:
        while True:
            conn, _ = sock.accept()
            serve_client(conn)
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()


if __name__ == "__main__":
    main()
