import socket
import socketserver


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        host, port = self.client_address
        print("Connected by {}:{}".format(host, port))
        # returning closes the connection


class ReuseServer(socketserver.TCPServer):
    def server_bind(self):
        print("Old sock state:", self.socket.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR))
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        print("New sock state:", self.socket.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR))
        super().server_bind()


if __name__ == "__main__":
    with ReuseServer(("localhost", 8282), Handler) as server:
        print("Listening on port:", server.server_address[1])
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("bye")
