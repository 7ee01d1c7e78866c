import socket

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
print("Buffer size [Before]:%d" % sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF))
sock.setsockopt(socket.SOL_TCP, socket.TCP_NODELAY, 1)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # only the receive buffer is set
print("Buffer size [After]:%d" % sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF))
