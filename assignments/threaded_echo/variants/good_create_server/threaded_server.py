import socket
import threading


def echo(conn: socket.socket, addr) -> None:
    with conn:
        while chunk := conn.recv(4096):
            conn.sendall(chunk)
    print(f"{addr} done, {threading.active_count() - 2} other client(s)")


with socket.create_server(("127.0.0.1", 9000)) as server:
    while True:
        conn, addr = server.accept()
        worker = threading.Thread(target=echo, args=(conn, addr))
        worker.daemon = True
        worker.start()
