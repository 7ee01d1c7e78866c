import os
import signal
import socket


def reaper(signum, frame):
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        print("reaped child", pid, "status", status)


signal.signal(signal.SIGCHLD, reaper)
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("", 9000))
server.listen(10)
print("parent", os.getpid(), "listening on 9000")
while True:
    conn, addr = server.accept()
    pid = os.fork()
    if pid:
        print("forked child", pid, "for", addr)
        conn.close()
        continue
    server.close()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    me = os.getpid()
    while True:
        try:
            data = conn.recv(1024)
        except ConnectionResetError:
            break
        print(me, "received", data)
        if not data:
            break
        try:
            conn.sendall(data)
        except OSError:
            break
        print(me, "sent", len(data), "bytes")
    conn.close()
    os._exit(0)
