"""Reference solution: line-length server on TCP port 51423 (SO_REUSEADDR)."""

import socket

HOST, PORT = "", 51423


def read_line(conn):
    """Bytes up to the first newline (or all there was, if the client stopped sending first)."""
    data = bytearray()
    while b"\n" not in data:
        chunk = conn.recv(1024)  # may be only part of the line: keep reading
        if not chunk:
            break
        data += chunk
    return bytes(data).split(b"\n", 1)[0]


def serve(conn, addr):
    conn.sendall(f"Welcome, {addr}\n".encode())
    conn.sendall(b"Please enter a string: ")
    line = read_line(conn)
    if not line:
        return  # the client left without sending anything
    count = len(line.decode("utf-8", "replace").strip())
    conn.sendall(f"You entered {count} characters.\n".encode())


def main():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # before bind()
        listener.bind((HOST, PORT))
        listener.listen()
        while True:
            conn, addr = listener.accept()
            with conn:
                try:
                    serve(conn, addr)
                except OSError:
                    pass  # the client reset the connection: serve the next one


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
