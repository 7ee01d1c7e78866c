import socket
import threading

clients = []  # every connection ever accepted


def handle(conn):
    while True:
        data = conn.recv(1024)
        if not data:
            break  # the thread ends, but the socket stays open in `clients`: never closed
        conn.sendall(data)


s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("", 9000))
s.listen(5)
while True:
    conn, addr = s.accept()
    clients.append(conn)
    threading.Thread(target=handle, args=(conn,), daemon=True).start()
