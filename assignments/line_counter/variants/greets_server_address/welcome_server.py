import socket

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('', 51423))
s.listen(5)
while True:
    conn, addr = s.accept()
    try:
        conn.send(('Welcome, ' + str(conn.getsockname()) + '\n').encode())
        conn.send(b'Please enter a string: ')
        data = b''
        while b'\n' not in data:
            chunk = conn.recv(1024)
            if not chunk:
                break
            data += chunk
        if data:
            conn.send(('You entered ' + str(len(data.decode().strip())) + ' characters.\n').encode())
    except ConnectionError:
        pass
    conn.close()
