import socket

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setblocking(0)
s.settimeout(0.5)
s.bind(("127.0.0.1", 0))
print("Trivial Server launched on socket: %s" % str(s.getsockname()))
s.listen(1)  # and then the program ends: nobody keeps listening
