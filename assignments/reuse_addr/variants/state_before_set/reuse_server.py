import socket

PORT = 8282

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
state = sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)
print("Old sock state:", state)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
print("New sock state:", state)  # the value read before setting it
sock.bind(("", PORT))
sock.listen(5)
print("Listening on port:", PORT)

clients = []
while True:
    conn, addr = sock.accept()
    print(f"Connected by {addr[0]}:{addr[1]}")
    clients.append(conn)
