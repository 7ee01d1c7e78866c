import socket

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setblocking(False)
s.settimeout(0.5)
s.bind(("127.0.0.1", 0))
print(f"Trivial Server launched on socket: {s.getsockname()}")
s.listen(1)
while True:
    try:
        conn, addr = s.accept()
        print("connection from", addr)
        conn.close()
    except socket.timeout:
        print("no connection yet, still listening")
