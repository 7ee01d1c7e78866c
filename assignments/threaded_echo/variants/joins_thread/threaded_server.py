import socket
import threading


def handle(conn):
    with conn:
        while True:
            data = conn.recv(1024)
            if not data:
                break
            conn.sendall(data)


s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("", 9000))
s.listen(5)
while True:
    conn, addr = s.accept()
    t = threading.Thread(target=handle, args=(conn,))
    t.start()
    t.join()  # waits for this client to finish before accepting the next
