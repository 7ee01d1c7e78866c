"""Opens files and sockets until refused, keeps them, then serves echo correctly if it still can."""

import os
import sys

# Destructive on purpose: runs only as the sandbox's student (an unprivileged uid >= 10001,
# in a container, started from the sandbox's scratch copy of the submission).
if not (os.path.exists("/.dockerenv") and os.getuid() >= 10001 and os.getcwd().startswith("/scratch/")):
    sys.exit("attack program: refusing to run outside the grader's Docker sandbox")

import socket

kept = []
while True:
    try:
        kept.append(socket.socket())
        kept.append(open("/dev/null", "rb"))
    except OSError:
        break
kept[-10:] = []  # room for the listener and one client
with socket.socket() as listener:
    listener.bind(("", 9000))
    listener.listen()
    while True:
        conn, _ = listener.accept()
        with conn:
            try:
                while data := conn.recv(65536):
                    conn.sendall(data)
            except OSError:
                pass
