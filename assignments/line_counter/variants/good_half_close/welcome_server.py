import socket

sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("localhost", 51423))
sock.listen(1)
while True:
    conn, addr = sock.accept()
    try:
        conn.sendall(("Welcome, %s\n" % str(addr)).encode())
        conn.sendall(b"Please enter a string: ")
        line = b""
        while b"\n" not in line:
            piece = conn.recv(64)
            if not piece:
                break
            line += piece
        if line:
            conn.sendall(b"You entered %d characters.\n" % len(line.strip()))
        conn.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    conn.close()
