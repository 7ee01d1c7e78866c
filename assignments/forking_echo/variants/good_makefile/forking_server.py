import os
import signal
import socket


def on_child(signum, frame):
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def child(conn):
    stream = conn.makefile("rwb", buffering=0)   # unbuffered: read() returns what has arrived
    while True:
        data = stream.read(4096)
        if not data:
            break
        stream.write(data)
    stream.close()
    conn.close()


signal.signal(signal.SIGCHLD, on_child)
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("", 9000))
listener.listen(16)
while True:
    conn, addr = listener.accept()
    if os.fork() == 0:
        listener.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        try:
            child(conn)
        except OSError:
            pass
        os._exit(0)
    conn.close()
