import socket

PORT = 8282

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
print("Old sock state:", sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR))
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # the wrong option
print("New sock state:", sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR))
sock.bind(("", PORT))
sock.listen(5)
print("Listening on port:", PORT)

clients = []
try:
    while True:
        conn, addr = sock.accept()
        print(f"Connected by {addr[0]}:{addr[1]}")
        clients.append(conn)
except KeyboardInterrupt:
    sock.close()
