"""Reference solution: "Hello <client-ip>" server on TCP port 9000."""

import socket

HOST, PORT = "", 9000


def main():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind((HOST, PORT))
        listener.listen()
        while True:
            conn, (client_ip, _client_port) = listener.accept()
            with conn:  # closed at the end of the block: the client sees end of stream
                try:
                    conn.sendall(f"Hello {client_ip}\n".encode())
                except OSError:
                    pass  # the client left already: serve the next one


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
