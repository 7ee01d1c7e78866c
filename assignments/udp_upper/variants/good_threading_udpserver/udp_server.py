import socketserver
import threading


class Handler(socketserver.DatagramRequestHandler):
    def handle(self):
        message = self.rfile.read()
        print(f"{threading.current_thread().name}: {len(message)} bytes from {self.client_address}")
        self.wfile.write(message.upper())  # sent back to the client when handle() returns


server = socketserver.ThreadingUDPServer(("0.0.0.0", 12000), Handler)
server.max_packet_size = 65535
try:
    server.serve_forever()
except KeyboardInterrupt:
    server.server_close()
