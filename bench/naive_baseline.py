"""The grading script a course writes when it has no grader: the benchmark's baseline.

    python3 bench/naive_baseline.py CLASS_FOLDER      # prints "student,PASS|FAIL" per student

Kept as plain as such scripts are on purpose (start, sleep, poke, kill, sleep),
so the benchmark compares the grader with what it replaces. It runs the code
unsandboxed on this machine's loopback: use it only on the benchmark's own
generated submissions, never on real students' code.
"""

import socket
import subprocess
import sys
import time
from pathlib import Path

PORT = 9000


def talk(messages):
    s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
    s.settimeout(5)
    for msg in messages:
        s.sendall(msg)
        reply = b""
        while len(reply) < len(msg):
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
        if reply != msg:
            s.close()
            return False
    s.close()
    return True


def grade(folder):
    server = subprocess.Popen([sys.executable, "echo_server.py"], cwd=folder,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)  # give it time to start
    try:
        ok = talk([b"hello\n", b"how are you?\n"]) and talk([b"second client\n"])
    except OSError:
        ok = False
    server.kill()
    server.wait()
    time.sleep(1)  # let the port free up
    return ok


def main():
    for folder in sorted(Path(sys.argv[1]).iterdir()):
        print(f"{folder.name},{'PASS' if grade(folder) else 'FAIL'}", flush=True)


if __name__ == "__main__":
    main()
