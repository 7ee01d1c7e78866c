import socketserver


class UpperHandler(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request  # for UDP: (the datagram, the server's socket)
        sock.sendto(data.upper(), self.client_address)


if __name__ == "__main__":
    with socketserver.UDPServer(("", 12000), UpperHandler) as server:
        print("UDP upper-case server on port 12000")
        server.serve_forever()
