"""Sleeps forever in short naps: never listens, never exits. (One long time.sleep() is judged at once: the
grader reads when it ends. Naps that each end before any deadline prove nothing, so every check waits out
its budget: the longest a program can hold its sandbox.)"""

import os
import sys

# Destructive on purpose: runs only as the sandbox's student (an unprivileged uid >= 10001,
# in a container, started from the sandbox's scratch copy of the submission).
if not (os.path.exists("/.dockerenv") and os.getuid() >= 10001 and os.getcwd().startswith("/scratch/")):
    sys.exit("attack program: refusing to run outside the grader's Docker sandbox")

import time

while True:
    time.sleep(0.2)
