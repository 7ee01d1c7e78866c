import socketserver


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(f"Welcome, {self.client_address}\n".encode())
        self.wfile.write(b"Please enter a string: ")
        try:
            line = self.rfile.readline()
        except ConnectionError:
            return
        if line:
            self.wfile.write(f"You entered {len(line.decode().strip())} characters.\n".encode())


class Server(socketserver.TCPServer):
    allow_reuse_address = True


if __name__ == "__main__":
    with Server(("", 51423), Handler) as server:
        server.serve_forever()
