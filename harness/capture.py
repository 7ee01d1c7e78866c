"""Capturing a student program's stdout and stderr without ever changing what it does.

Rule: the program writes into a pipe, and a write of the program never fails
or blocks for long because of the cap. A drain thread copies the pipe into a
file up to OUTPUT_CAP bytes and reads and discards everything past it, so a
server that prints every chunk it handles (30 MB in a slow-reader check) goes
on serving exactly as it would in a terminal. (A file with RLIMIT_FSIZE, as
before, made its print() raise `OSError: [Errno 27] File too large`.)

Reading the capture first pumps whatever the pipe holds right now, under the
same lock as the thread: once the program's write() has returned, the bytes
are in what `read()` gives, whether or not the thread has run since. So a
check that reads the output right after a /proc proof sees it, on a loaded
machine too.
"""

from __future__ import annotations

import fcntl
import os
import select
import threading
from pathlib import Path

OUTPUT_CAP = 16 << 20  # bytes of stdout and of stderr kept, each
CHUNK = 1 << 16
PIPE_SIZE = 1 << 20  # the unprivileged maximum (fs.pipe-max-size): fewer wake-ups for a flood
_SPLICE = hasattr(os, "splice")  # Linux: discard without copying the bytes into Python


class Capture:
    """One output stream of one program: the write end goes to the program, the rest stays here."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.read_fd, self.write_fd = os.pipe()  # both close-on-exec: only the program's fd 1/2 is a copy
        os.set_blocking(self.read_fd, False)
        try:
            fcntl.fcntl(self.read_fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_SIZE)
        except OSError:
            pass  # a smaller pipe only means more wake-ups
        self.null = os.open(os.devnull, os.O_WRONLY)
        # 0600: in Docker the program runs as another uid and must not read or append to it by name
        self.file = os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb", buffering=0)
        self.kept = 0
        self.dropped = 0
        self.lock = threading.Lock()
        self.closed = False

    def started(self) -> None:
        """The program holds its copy of the write end now: drop ours, so EOF comes when it exits."""
        os.close(self.write_fd)
        self.write_fd = -1

    def pump(self) -> bool:
        """Move everything the pipe holds now into the file (or past the cap, nowhere). False at EOF."""
        with self.lock:
            if self.closed:
                return False
            while True:
                try:
                    if _SPLICE and self.kept >= OUTPUT_CAP:
                        moved = os.splice(self.read_fd, self.null, PIPE_SIZE)
                        if not moved:
                            return False
                        self.dropped += moved
                        continue
                    data = os.read(self.read_fd, CHUNK)
                except BlockingIOError:
                    return True
                except OSError:
                    return False
                if not data:
                    return False
                room = max(0, OUTPUT_CAP - self.kept)
                if room:
                    self._keep(data[:room])
                self.dropped += max(0, len(data) - room)

    def _keep(self, data: bytes) -> None:
        try:
            self.file.write(data)
        except OSError:  # our disk is full: the program's output is what is lost, never its write
            self.dropped += len(data)
            return
        self.kept += len(data)

    def close(self) -> None:
        self.pump()
        with self.lock:
            if self.closed:
                return
            self.closed = True
            for fd in (self.read_fd, self.write_fd, self.null):
                if fd >= 0:
                    os.close(fd)
            self.file.close()

    def read(self) -> bytes:
        self.pump()
        try:
            with open(self.path, "rb") as f:
                return f.read(OUTPUT_CAP)
        except OSError:
            return b""


class Drain:
    """One thread per program that keeps its pipes empty until EOF or close()."""

    def __init__(self, captures: list[Capture]) -> None:
        self.captures = captures
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="output-drain", daemon=True)

    def start(self) -> None:
        for c in self.captures:
            c.started()
        self.thread.start()

    def _run(self) -> None:
        live = list(self.captures)
        while live and not self.stop.is_set():
            try:
                ready, _, _ = select.select([c.read_fd for c in live], [], [], 0.2)
            except (OSError, ValueError):  # closed under us by close()
                return
            for c in [c for c in live if c.read_fd in ready]:
                if not c.pump():
                    live.remove(c)

    def close(self) -> None:
        """After the program is dead: keep what it wrote, then release the pipes."""
        self.stop.set()
        if self.thread.ident is not None:
            self.thread.join(1.0)
        for c in self.captures:
            c.close()
