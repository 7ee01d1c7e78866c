import socket
import threading


def handle(conn, addr):
    with conn:
        while True:
            try:
                data = conn.recv(1024)
            except OSError:
                break
            if not data:
                break
            conn.sendall(data)


def main():
    s = socket.socket()
    print("Old sock state:", s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    print("New sock state:", s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR))
    s.bind(("", 8282))
    s.listen(10)
    print("Listening on port:", 8282)
    while True:
        conn, addr = s.accept()
        print("Connected by " + addr[0] + ":" + str(addr[1]))
        threading.Thread(target=handle, args=(conn, addr), daemon=True).start()


if __name__ == "__main__":
    main()
