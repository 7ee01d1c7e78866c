#!/usr/bin/env python3
# Python 3.8: no match statements, no f-string '=' tricks, typing from the typing module
import socket
import sys
from typing import List

LOCAL_PORT = 8282


def main():
    # type: () -> None
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    old_state = sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)
    print("Old sock state: %s" % old_state)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    new_state = sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)
    print("New sock state: %s" % new_state)
    sock.bind(("", LOCAL_PORT))
    sock.listen(1)
    print("Listening on port: %s" % LOCAL_PORT)
    sys.stdout.flush()
    conns = []  # type: List[socket.socket]
    while True:
        try:
            connection, addr = sock.accept()
            print("Connected by %s:%s" % (addr[0], addr[1]))
            conns.append(connection)
        except KeyboardInterrupt:
            break
        except socket.error as msg:
            print("%s" % (msg,))
    for c in conns:
        c.close()
    sock.close()


if __name__ == "__main__":
    main()
