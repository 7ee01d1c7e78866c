"""Memory eater: allocates and touches memory until something stops it."""

import os
import sys

# Destructive on purpose: runs only as the sandbox's student (an unprivileged uid >= 10001,
# in a container, started from the sandbox's scratch copy of the submission).
if not (os.path.exists("/.dockerenv") and os.getuid() >= 10001 and os.getcwd().startswith("/scratch/")):
    sys.exit("attack program: refusing to run outside the grader's Docker sandbox")

hoard = []
while True:
    try:
        hoard.append(bytearray(16 << 20))  # zero-filled: the pages are touched
    except MemoryError:
        # RLIMIT_AS reached: fork a fresh address space and go on eating there
        hoard.clear()
        if os.fork() == 0:
            continue
