from socket import (AF_INET, IPPROTO_TCP, SO_RCVBUF, SO_SNDBUF, SOCK_STREAM, SOL_SOCKET, TCP_NODELAY,
                    socket)

BUF = 4096

tcp = socket(AF_INET, SOCK_STREAM)
print("Buffer size [Before]:%d" % tcp.getsockopt(SOL_SOCKET, SO_SNDBUF))
tcp.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1)
for option in (SO_SNDBUF, SO_RCVBUF):
    tcp.setsockopt(SOL_SOCKET, option, BUF)
print("Buffer size [After]:%d" % tcp.getsockopt(SOL_SOCKET, SO_SNDBUF))
tcp.close()
