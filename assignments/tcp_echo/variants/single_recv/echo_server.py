import socket

HOST = ''
PORT = 9000
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind((HOST, PORT))
s.listen(1)
while True:
    conn, addr = s.accept()
    print('Connected by', addr)
    try:
        data = conn.recv(1024)
        conn.sendall(data)
    except ConnectionResetError:
        pass
    conn.close()
