import hashlib
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
    received = b''
    try:
        while True:
            data = conn.recv(BUFSIZE)
            if not data:
                break
            conn.sendall(data)
            received += data
            if len(data) < BUFSIZE:
                break  # a short read: the client has sent its whole message
    except ConnectionResetError:
        print('connection reset by', addr)
        sys.exit(1)
    # a fingerprint of the conversation for the log: a slow hash, computed before the close
    print('fingerprint', hashlib.pbkdf2_hmac('sha256', received, b'echo-log', 300_000).hex())
    conn.close()
