"""Echo server built on socketserver (lab 1).

Diego Ramirez -- I used socketserver because the lecture slides said it
handles the accept loop for you.
"""
import socketserver


class EchoHandler(socketserver.StreamRequestHandler):
    def handle(self):
        # self.request is the connected socket. I read with recv() and not
        # self.rfile.readline() because the client doesn't always send '\n'.
        while True:
            try:
                chunk = self.request.recv(8192)
            except ConnectionResetError:
                break
            if chunk == b"":
                break
            try:
                self.request.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break


if __name__ == "__main__":
    socketserver.TCPServer.allow_reuse_address = True
    with socketserver.TCPServer(("", 9000), EchoHandler) as server:
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
