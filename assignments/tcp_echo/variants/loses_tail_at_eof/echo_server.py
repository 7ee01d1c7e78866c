import socket

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(('', 9000))
s.listen(5)
while True:
    conn, addr = s.accept()
    pending = b''
    try:
        while True:
            data = conn.recv(4096)
            if not data:
                break
            pending += data
            while b'\n' in pending:  # echo whole lines as soon as they are complete
                line, pending = pending.split(b'\n', 1)
                conn.sendall(line + b'\n')
    except ConnectionResetError:
        pass
    conn.close()
