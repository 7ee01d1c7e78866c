"""Tries to read the checks, the reference, the runner's environment (the nonce) and its results.

A correct echo server, except that it exits at once when any of them is readable:
full marks prove that none was."""

import os
import sys

# Destructive on purpose: runs only as the sandbox's student (an unprivileged uid >= 10001,
# in a container, started from the sandbox's scratch copy of the submission).
if not (os.path.exists("/.dockerenv") and os.getuid() >= 10001 and os.getcwd().startswith("/scratch/")):
    sys.exit("attack program: refusing to run outside the grader's Docker sandbox")

import socket


def readable(path):
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            with open(path, "rb") as f:
                return bool(f.read(1)) or True
        return True
    except OSError:
        return False


secrets = ["/opt/grader/assignments", "/opt/grader/assignments/tcp_echo/checks.py",
           "/opt/grader/assignments/tcp_echo/assignment.yml", "/opt/grader/reference",
           "/reference", "/run/grader", "/run/grader/results.json", "/proc/1/environ", "/proc/1/fd/1"]
for entry in os.listdir("/proc"):
    if entry.isdigit():
        try:
            if os.stat(f"/proc/{entry}").st_uid != os.getuid():
                secrets += [f"/proc/{entry}/environ", f"/proc/{entry}/fd", f"/proc/{entry}/mem"]
        except OSError:
            pass
found = [p for p in secrets if readable(p)]
for root, dirs, files in os.walk("/opt"):  # anything named like a check or a reference
    found += [os.path.join(root, f) for f in files if f in ("checks.py", "assignment.yml")]
if found:
    sys.exit(f"read secrets: {found}")

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
