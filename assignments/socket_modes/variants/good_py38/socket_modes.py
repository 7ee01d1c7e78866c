#!/usr/bin/env python3
import socket
import sys


def main():
    # type: () -> None
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(0)
    s.settimeout(0.5)
    s.bind(('127.0.0.1', 0))
    print("Trivial Server launched on socket: {}".format(s.getsockname()))
    sys.stdout.flush()
    s.listen(1)
    while 1:
        try:
            conn, addr = s.accept()
        except socket.timeout:
            pass
        else:
            conn.close()


if __name__ == '__main__':
    main()
