import socket

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setblocking(0)
s.settimeout(0.5)
socket_address = s.getsockname()  # asked before bind(): ('0.0.0.0', 0)
s.bind(("127.0.0.1", 0))
print("Trivial Server launched on socket: %s" % str(socket_address))
s.listen(1)
while True:
    try:
        conn, addr = s.accept()
        conn.close()
    except socket.timeout:
        pass
