"""Double fork + setsid: a daemon keeps port 9000 (answers wrongly) after the program exits."""

import os
import sys

# Destructive on purpose: runs only as the sandbox's student (an unprivileged uid >= 10001,
# in a container, started from the sandbox's scratch copy of the submission).
if not (os.path.exists("/.dockerenv") and os.getuid() >= 10001 and os.getcwd().startswith("/scratch/")):
    sys.exit("attack program: refusing to run outside the grader's Docker sandbox")

import signal
import socket
import time

if os.fork() > 0:
    time.sleep(0.5)
    os._exit(0)  # the program 'exits' at once; its daemon lives on
os.setsid()
if os.fork() > 0:
    os._exit(0)
for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(sig, signal.SIG_IGN)
with socket.socket() as listener:
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    for _ in range(100):
        try:
            listener.bind(("", 9000))
            break
        except OSError:
            time.sleep(0.1)
    listener.listen()
    while True:
        conn, _ = listener.accept()
        conn.sendall(b"owned\n")
        conn.close()
