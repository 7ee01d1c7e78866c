import os
import signal
import socket

signal.signal(signal.SIGCHLD, lambda *_: reap())


def reap():
    try:
        while True:
            pid, _ = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
    except ChildProcessError:
        pass


srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("localhost", 9000))
srv.listen()
while True:
    c, a = srv.accept()
    if os.fork():
        c.close()
        continue
    srv.close()
    try:
        while True:
            b = c.recv(1024)
            if not b:
                c.shutdown(socket.SHUT_WR)
                break
            c.sendall(b)
    except OSError:
        pass
    c.close()
    os._exit(0)
