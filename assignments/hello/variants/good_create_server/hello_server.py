import socket

with socket.create_server(("0.0.0.0", 9000)) as server:
    while True:
        conn, addr = server.accept()
        with conn:
            conn.sendall(f"Hello {addr[0]}\n".encode())
