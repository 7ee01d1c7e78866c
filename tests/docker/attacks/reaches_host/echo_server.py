"""Tries to reach servers on the host (its loopback, the Docker bridge gateway, host.docker.internal).

The test writes target.txt (PORT GATEWAY) next to this file and listens on those
addresses of the host itself; nothing outside this machine is ever addressed.
Then it serves echo correctly."""

import os
import sys

# Destructive on purpose: runs only as the sandbox's student (an unprivileged uid >= 10001,
# in a container, started from the sandbox's scratch copy of the submission).
if not (os.path.exists("/.dockerenv") and os.getuid() >= 10001 and os.getcwd().startswith("/scratch/")):
    sys.exit("attack program: refusing to run outside the grader's Docker sandbox")

import socket

port, gateway = open("target.txt").read().split()
targets = [("127.0.0.1", int(port)), (gateway, int(port)), ("host.docker.internal", int(port))]
for host, p in targets:
    try:
        with socket.create_connection((host, p), timeout=1) as s:
            s.sendall(b"escaped\n")
    except OSError:
        pass
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.sendto(b"escaped\n", (host, p))
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
