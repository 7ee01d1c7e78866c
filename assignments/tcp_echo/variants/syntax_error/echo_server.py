import socket

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(('', 9000))
s.listen(1)
while True
    conn, addr = s.accept()
    conn.sendall(conn.recv(1024))
    conn.close()
