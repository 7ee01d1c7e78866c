import socket

HOST = ''
PORT = 9000

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((HOST, PORT))
s.listen(1)
print('waiting for a connection on port', PORT)
while True:
    conn, addr = s.accept()
    print('Connected by', addr)
    while True:
        try:
            data = conn.recv(1024)
        except ConnectionResetError:
            print('reset by', addr)
            break
        print('received', len(data), 'bytes:', data)
        if not data:
            break
        try:
            conn.sendall(data)
        except BrokenPipeError:
            break
        print('sent back', len(data), 'bytes')
    conn.close()
    print('closed', addr)
