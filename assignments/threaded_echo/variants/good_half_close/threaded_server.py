import socket
import threading


def serve(c):
    try:
        while True:
            b = c.recv(1024)
            if not b:
                c.shutdown(socket.SHUT_WR)  # our FIN answers the client's
                break
            c.sendall(b)
    except OSError:
        pass
    finally:
        c.close()


s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("localhost", 9000))
s.listen()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
