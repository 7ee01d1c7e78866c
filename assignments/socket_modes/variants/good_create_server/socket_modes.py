import signal
import socket

srv = socket.create_server(("127.0.0.1", 0), backlog=1)
srv.setblocking(False)
srv.settimeout(0.5)
print("Trivial Server launched on socket: %s" % (srv.getsockname(),))
signal.pause()
