import socket

probe = socket.socket()
print("Old sock state:", probe.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR))
probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
print("New sock state:", probe.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR))

server = socket.socket()  # a second socket, without the option
server.bind(("", 8282))
server.listen()
print("Listening on port: 8282")
while True:
    conn, addr = server.accept()
    print(f"Connected by {addr[0]}:{addr[1]}")
    conn.close()
