import socket
import time

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setblocking(0)
s.settimeout(0.5)
s.bind(("127.0.0.1", 0))
print("Trivial Server launched on socket: %s" % str(s.getsockname()))
while True:
    time.sleep(0.5)  # bound, but listen() is never called: connections are refused
