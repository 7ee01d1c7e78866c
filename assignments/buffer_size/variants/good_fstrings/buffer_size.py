import socket

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
print(f"Buffer size [Before]:{s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)}")
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
print(f"Buffer size [After]:{s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)}")
s.close()
