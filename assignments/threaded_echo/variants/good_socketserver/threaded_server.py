import socketserver


class EchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        print("client connected:", self.client_address)
        while True:
            data = self.request.recv(1024)
            if not data:
                break
            self.request.sendall(data)
        print("client left:", self.client_address)


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    with Server(("", 9000), EchoHandler) as server:
        server.serve_forever()
