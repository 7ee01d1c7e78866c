import socket
import time

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("localhost", 8888))
s.listen(5)
while True:
    conn, addr = s.accept()
    conn.sendall(time.ctime().encode())
    conn.shutdown(socket.SHUT_WR)
    conn.close()
