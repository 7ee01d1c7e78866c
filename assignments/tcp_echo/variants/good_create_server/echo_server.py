# Echo server with socket.create_server (Python 3.8+): one client at a time.
import socket

with socket.create_server(("", 9000)) as server:
    print("Echo server listening on port 9000")
    while True:
        conn, addr = server.accept()
        print(f"Connection from {addr[0]}:{addr[1]}")
        with conn:
            try:
                while data := conn.recv(4096):
                    conn.sendall(data)
            except ConnectionError as exc:
                print(f"{addr[0]}:{addr[1]}: {exc}")
        print(f"{addr[0]}:{addr[1]} disconnected")
