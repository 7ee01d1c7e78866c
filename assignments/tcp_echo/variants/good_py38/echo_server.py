#!/usr/bin/env python3
# Python 3.8-era echo server: no walrus, no match, %-formatting, socket.error.
import errno
import socket
import sys

HOST = ''
PORT = 9000


def serve(conn, addr):
    while 1:
        try:
            data = conn.recv(1024)
        except socket.error as e:
            if e.errno == errno.ECONNRESET:
                sys.stderr.write("%s:%d reset the connection\n" % addr)
                return
            raise
        if not data:
            return
        try:
            conn.sendall(data)
        except socket.error as e:
            sys.stderr.write("send to %s:%d failed: %s\n" % (addr[0], addr[1], e))
            return


def main():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((HOST, PORT))
    s.listen(5)
    sys.stdout.write("Server started on port %d\n" % PORT)
    while 1:
        conn, addr = s.accept()
        sys.stdout.write("Connected by %s:%d\n" % addr)
        try:
            serve(conn, addr)
        finally:
            conn.close()


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
