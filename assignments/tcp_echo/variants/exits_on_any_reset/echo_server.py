import socket
import sys

HOST = ''
PORT = 9000
BUFSIZE = 1024

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((HOST, PORT))
s.listen(1)
while True:
    conn, addr = s.accept()
    print('Connected by', addr)
    try:
        while True:
            data = conn.recv(BUFSIZE)
            if not data:
                break
            conn.sendall(data)
            if len(data) < BUFSIZE:
                break  # a short read: the client has sent its whole message
    except ConnectionResetError:
        print('connection reset by', addr)
        sys.exit(1)
    conn.close()
