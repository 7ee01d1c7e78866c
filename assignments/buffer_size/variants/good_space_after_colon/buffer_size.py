import socket

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
print("Buffer size [Before]:", sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF))
sock.setsockopt(socket.SOL_TCP, socket.TCP_NODELAY, 1)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
print("Buffer size [After]:", sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF))
