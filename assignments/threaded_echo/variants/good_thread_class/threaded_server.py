"""A threading.Thread subclass per client."""
import socket
from threading import Thread


class ClientThread(Thread):
    def __init__(self, conn, addr):
        super().__init__(daemon=True)
        self.conn = conn
        self.addr = addr

    def run(self):
        print("New connection from %s:%s" % self.addr)
        try:
            while True:
                data = self.conn.recv(2048)
                if not data:
                    break
                self.conn.sendall(data)
        except ConnectionError as e:
            print("Connection error:", e)
        finally:
            self.conn.close()
            print("Connection closed: %s:%s" % self.addr)


if __name__ == "__main__":
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("0.0.0.0", 9000))
    server.listen(5)
    print("Waiting for connections on port 9000 ...")
    threads = []
    while True:
        conn, addr = server.accept()
        t = ClientThread(conn, addr)
        t.start()
        threads = [x for x in threads if x.is_alive()] + [t]
