import socket
import threading


def greet(conn, ip):
    try:
        conn.sendall(("Hello " + ip + "\n").encode("ascii"))
    finally:
        conn.close()


s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", 9000))
s.listen(5)
while True:
    c, a = s.accept()
    threading.Thread(target=greet, args=(c, a[0])).start()
