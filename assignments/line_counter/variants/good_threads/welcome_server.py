import socket
import threading


def client_thread(conn, addr):
    try:
        conn.send(("Welcome, " + str(addr) + "\n").encode())
        conn.send(b"Please enter a string: ")
        buf = b""
        while b"\n" not in buf:
            data = conn.recv(1024)
            print("received", data)
            if not data:
                return
            buf += data
        n = len(buf.decode().strip())
        conn.send(("You entered %d characters.\n" % n).encode())
    except OSError as e:
        print("error:", e)
    finally:
        conn.close()


s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", 51423))
s.listen(10)
while True:
    conn, addr = s.accept()
    threading.Thread(target=client_thread, args=(conn, addr)).start()
