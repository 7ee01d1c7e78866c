import socket

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('', 9000))
s.listen(5)
while True:
    conn, addr = s.accept()
    while True:
        try:
            message = conn.recv(1024).decode()
        except ConnectionResetError:
            break
        if not message:
            break
        print("Received:", message)
        conn.sendall(message.encode())
    conn.close()
