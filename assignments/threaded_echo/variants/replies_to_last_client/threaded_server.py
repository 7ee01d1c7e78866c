import socket
import threading


def handle(client):
    while True:
        data = client.recv(1024)
        if not data:
            break
        conn.sendall(data)  # bug: `conn` is the global, i.e. the most recently accepted client
    client.close()


s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("", 9000))
s.listen(5)
while True:
    conn, addr = s.accept()
    threading.Thread(target=handle, args=(conn,), daemon=True).start()
