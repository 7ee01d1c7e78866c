"""Forking echo server: the parent reaps finished children between accepts,
waking up at least every 0.2 s (select with a timeout) to do so."""
import os
import select
import socket


def reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def serve(conn):
    with conn:
        while data := conn.recv(8192):
            conn.sendall(data)


with socket.create_server(("", 9000)) as server:
    while True:
        ready, _, _ = select.select([server], [], [], 0.2)
        reap()
        if not ready:
            continue
        conn, addr = server.accept()
        pid = os.fork()
        if pid == 0:
            server.close()
            try:
                serve(conn)
            finally:
                os._exit(0)
        conn.close()
        print(f"child {pid} serves {addr}")
