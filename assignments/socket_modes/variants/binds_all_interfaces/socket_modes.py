import socket

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setblocking(0)
s.settimeout(0.5)
s.bind(("", 0))  # every interface, not only loopback
print("Trivial Server launched on socket: %s" % str(s.getsockname()))
s.listen(1)
while True:
    try:
        conn, addr = s.accept()
        conn.close()
    except socket.timeout:
        pass
