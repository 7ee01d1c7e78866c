import socket
import threading

lock = threading.Lock()


def log(*args):
    with lock:
        print(*args)


def handle(conn, addr):
    log("connected", addr)
    while True:
        try:
            data = conn.recv(1024)
        except ConnectionResetError:
            break
        log(addr, "received", data)
        if not data:
            break
        try:
            conn.sendall(data)
        except OSError:
            break
        log(addr, "echoed", len(data), "bytes")
    conn.close()
    log("disconnected", addr)


server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("", 9000))
server.listen(20)
while True:
    conn, addr = server.accept()
    threading.Thread(target=handle, args=(conn, addr), daemon=True).start()
