import socketserver
import time


class TimeHandler(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.sendall(time.ctime().encode())


socketserver.TCPServer.allow_reuse_address = True
server = socketserver.TCPServer(("", 8888), TimeHandler)
try:
    server.serve_forever()
except KeyboardInterrupt:
    server.server_close()
