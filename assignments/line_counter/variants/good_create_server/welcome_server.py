import socket

with socket.create_server(("", 51423)) as server:  # sets SO_REUSEADDR on POSIX
    while True:
        conn, addr = server.accept()
        with conn:
            try:
                conn.sendall(f"Welcome, {addr}\nPlease enter a string: ".encode())
                data = b""
                while not data.endswith(b"\n"):
                    more = conn.recv(100)
                    if not more:
                        break
                    data += more
                if data:
                    conn.sendall(f"You entered {len(data.strip())} characters.\n".encode())
            except ConnectionResetError:
                print("client reset")
