import socket
import threading


def handle(conn, addr):
    print("[+] client", addr)
    try:
        while True:
            data = conn.recv(2048)
            if not data:
                break
            conn.sendall(data)
    except (ConnectionResetError, BrokenPipeError) as e:
        print("[!]", addr, e)
    finally:
        conn.close()
        print("[-] client", addr)


def main():
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", 9000))
    srv.listen(5)
    while True:
        conn, addr = srv.accept()
        threading.Thread(target=handle, args=(conn, addr), daemon=True).start()


if __name__ == "__main__":
    main()
