import socket

SEND_BUF_SIZE = 4096
RECV_BUF_SIZE = 4096

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
print("Buffer size [Before]:%d" % sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF))
sock.setsockopt(socket.SOL_TCP, socket.TCP_NODELAY, 1)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUF_SIZE)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECV_BUF_SIZE)
print("Buffer size [After]:%d" % SEND_BUF_SIZE)  # what was asked for, not what the socket reports
