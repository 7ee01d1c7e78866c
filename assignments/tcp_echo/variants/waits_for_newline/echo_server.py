import socket

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("localhost", 9000))
s.listen(1)
while True:
    conn, addr = s.accept()
    f = conn.makefile("rb")
    try:
        for line in f:
            conn.sendall(line)
    except ConnectionResetError:
        pass
    f.close()
    conn.close()
