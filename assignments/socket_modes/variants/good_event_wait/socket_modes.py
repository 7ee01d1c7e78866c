import socket
import threading

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setblocking(False)
server.settimeout(0.5)
server.bind(("127.0.0.1", 0))
server.listen()
print("Trivial Server launched on socket:", server.getsockname())
try:
    threading.Event().wait()  # listen until interrupted
except KeyboardInterrupt:
    server.close()
