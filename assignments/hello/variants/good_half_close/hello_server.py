import socket

srv = socket.socket()
srv.bind(("", 9000))
srv.listen()
while True:
    conn, (ip, port) = srv.accept()
    conn.sendall(f"Hello {ip}\n".encode())
    conn.shutdown(socket.SHUT_WR)  # no more data from us
    conn.close()
