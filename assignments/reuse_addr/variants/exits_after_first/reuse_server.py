import socket

PORT = 8282

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
print("Old sock state:", sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR))
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
print("New sock state:", sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR))
sock.bind(("", PORT))
sock.listen(5)
print("Listening on port:", PORT)

conn, addr = sock.accept()  # one client only
print(f"Connected by {addr[0]}:{addr[1]}")
conn.close()
sock.close()
