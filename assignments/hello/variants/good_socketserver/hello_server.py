import socketserver


class HelloHandler(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(("Hello %s\n" % self.client_address[0]).encode())


if __name__ == "__main__":
    socketserver.TCPServer.allow_reuse_address = True
    with socketserver.TCPServer(("", 9000), HelloHandler) as server:
        server.serve_forever()
