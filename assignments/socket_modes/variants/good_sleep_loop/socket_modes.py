import socket
import time


def test_socket_modes():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(1)
    s.settimeout(0.5)
    s.bind(("127.0.0.1", 0))
    socket_address = s.getsockname()
    print("Trivial Server launched on socket: %s" % str(socket_address))
    s.listen(1)
    while True:
        time.sleep(1)  # keep the listening socket open


if __name__ == '__main__':
    test_socket_modes()
