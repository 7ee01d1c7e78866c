import socket
import threading


def handle(conn):
    while True:
        try:
            data = conn.recv(1024)
            conn.sendall(data)  # never stops when recv() returns b'': the thread spins forever
        except OSError:
            break
    conn.close()


s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("", 9000))
s.listen(5)
while True:
    conn, addr = s.accept()
    threading.Thread(target=handle, args=(conn,), daemon=True).start()
