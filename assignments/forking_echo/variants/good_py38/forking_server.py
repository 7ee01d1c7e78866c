#!/usr/bin/env python3
# Python 3.8-era forking echo server: errno, %-formatting, no walrus.
import errno
import os
import signal
import socket
import sys

HOST = ''
PORT = 9000


def collect_zombies(signum, frame):
    while 1:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except OSError as e:
            if e.errno == errno.ECHILD:
                return
            raise
        if pid == 0:
            return


def handle(conn):
    while 1:
        try:
            data = conn.recv(1024)
        except socket.error:
            return
        if not data:
            return
        try:
            conn.sendall(data)
        except socket.error:
            return


def main():
    signal.signal(signal.SIGCHLD, collect_zombies)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((HOST, PORT))
    s.listen(5)
    while 1:
        try:
            conn, addr = s.accept()
        except socket.error as e:
            if e.errno == errno.EINTR:
                continue
            raise
        pid = os.fork()
        if pid == 0:
            s.close()
            handle(conn)
            conn.close()
            os._exit(0)
        sys.stdout.write("child %d for %s:%d\n" % (pid, addr[0], addr[1]))
        conn.close()


if __name__ == '__main__':
    main()
