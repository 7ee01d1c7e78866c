"""Fills every writable place (cwd, /tmp, /dev/shm, /scratch), then serves echo correctly."""

import os
import sys

# Destructive on purpose: runs only as the sandbox's student (an unprivileged uid >= 10001,
# in a container, started from the sandbox's scratch copy of the submission).
if not (os.path.exists("/.dockerenv") and os.getuid() >= 10001 and os.getcwd().startswith("/scratch/")):
    sys.exit("attack program: refusing to run outside the grader's Docker sandbox")

import socket

chunk = b"\0" * (1 << 20)
for n, where in enumerate([".", "/tmp", "/dev/shm", "/scratch", "/run/grader", "/"]):
    try:
        with open(os.path.join(where, f"fill-{os.getpid()}-{n}"), "wb") as f:
            for _ in range(4096):  # up to 4 GB each
                f.write(chunk)
    except OSError:
        pass

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
