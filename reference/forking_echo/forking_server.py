"""Reference solution: TCP echo server on port 9000, one child process per client."""

import os
import signal
import socket

HOST, PORT = "", 9000


def reap_children(_signum, _frame):
    """SIGCHLD: collect every child that has exited, so none stays a zombie."""
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def handle(conn):
    """Echo everything this client sends, until it closes its side."""
    with conn:
        while True:
            try:
                data = conn.recv(65536)
            except ConnectionResetError:
                return
            if not data:
                return
            try:
                conn.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                return


def main():
    signal.signal(signal.SIGCHLD, reap_children)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind((HOST, PORT))
        listener.listen()
        while True:
            conn, _addr = listener.accept()
            pid = os.fork()
            if pid == 0:  # the child serves this client, then exits
                listener.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                try:
                    handle(conn)
                except KeyboardInterrupt:
                    pass
                finally:
                    os._exit(0)
            conn.close()  # the parent's copy: the child has its own


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
