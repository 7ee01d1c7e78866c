import socketserver


class EchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(1024)
            if not data:
                break
            self.request.sendall(data)


if __name__ == "__main__":
    socketserver.ForkingTCPServer.allow_reuse_address = True
    with socketserver.ForkingTCPServer(("", 9000), EchoHandler) as server:
        print("forking echo server on port 9000")
        server.serve_forever()
