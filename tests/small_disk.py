"""A small file system of the test's own: a tmpfs mounted in a private mount namespace.

Nothing outside the namespace sees the mount, and it goes away with the
namespace (the `sleep` holding it is killed on close). Commands run inside with
nsenter, so a test can fill the disk, remount it read-only, and run the real
grader against it: the real ENOSPC and EROFS, no mocks.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ROOT = os.geteuid() == 0


class SmallDisk:
    def __init__(self, where: Path, size_kib: int) -> None:
        self.where = where
        where.mkdir(parents=True, exist_ok=True)
        user = [] if ROOT else ["--user", "--map-root-user"]
        self.proc = subprocess.Popen(
            ["unshare", *user, "--mount", "--propagation", "private", "sh", "-c",
             f'mount -t tmpfs -o size={size_kib}k tmpfs "$0" && echo ready && exec sleep 3600', str(where)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        if self.proc.stdout.readline().strip() != "ready":
            self.close()
            pytest.skip(f"cannot mount a tmpfs in a private mount namespace here: {self.proc.stderr.read().strip()}")

    def run(self, *cmd: str | Path, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        enter = ["nsenter", "-t", str(self.proc.pid), "-m"] + ([] if ROOT else ["-U", "--preserve-credentials"])
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        return subprocess.run([*enter, "--", *map(str, cmd)], cwd=cwd, env=env, capture_output=True, text=True,
                              check=False, timeout=timeout)

    def grader(self, *args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return self.run(sys.executable, "-m", "grader", *args, cwd=cwd)

    def seen(self, path: Path) -> Path:
        """`path` as the namespace sees it (through /proc/PID/root), to read from the test."""
        return Path(f"/proc/{self.proc.pid}/root") / path.resolve().relative_to("/")

    def fill(self) -> None:
        """Write one file until the disk is full."""
        self.run("sh", "-c", 'cat /dev/zero > "$0/.filler" 2>/dev/null; true', self.where)

    def free(self) -> None:
        self.run("rm", "-f", self.where / ".filler")

    def read_only(self) -> None:
        done = self.run("mount", "-o", "remount,ro", self.where)
        assert done.returncode == 0, done.stderr

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
