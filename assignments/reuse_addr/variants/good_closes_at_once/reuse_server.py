import socket

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
print("Old sock state:", sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR))
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
print("New sock state:", sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR))
sock.bind(("0.0.0.0", 8282))
sock.listen(5)
print("Listening on port: 8282")

while True:
    conn, addr = sock.accept()
    print(f"Connected by {addr[0]}:{addr[1]}")
    conn.close()  # nothing to say to the client: hang up at once
