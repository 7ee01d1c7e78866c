import socket

PORT = 8282

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
print("Old sock state:", sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR))
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
print("New sock state:", sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR))
sock.bind(("", PORT))
sock.listen(5)
print("Listening on port:", PORT)

clients = []
while True:
    conn, addr = sock.accept()
    host, port = conn.getsockname()  # the server's end of the connection, not the client's
    print(f"Connected by {host}:{port}")
    clients.append(conn)
