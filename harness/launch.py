"""Starting and stopping the student's program (one `StudentProgram` per start).

Rule: a started program is always stopped: SIGINT first (KeyboardInterrupt),
then everything it started is killed (harness.contain). The pytest plugin
stops every program at the end of its check, whatever the check's outcome.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness import procfs
from harness.transcript import Transcript
from harness.waiting import poll

HARNESS_ROOT = str(Path(__file__).resolve().parent.parent)
OUTPUT_CAP = 16 << 20  # bytes of stdout/stderr kept (RLIMIT_FSIZE on the capture files)

DEFAULT_RLIMITS = {
    "cpu": 60,  # CPU seconds: a spinning program cannot outlive its check by much
    "as": 2 << 30,  # address space
    "fsize": OUTPUT_CAP,
    "nofile": 1024,
    "core": 0,
}

_counter = itertools.count(1)


@dataclass(slots=True)
class Containment:
    """How student programs are contained in this sandbox (chosen by the runner)."""

    mode: str = "group"  # pidns | uid | group  (see harness.contain)
    uid: int | None = None
    rlimits: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_RLIMITS))


def signal_name(code: int) -> str:
    try:
        return signal.Signals(code - 128).name
    except ValueError:
        return f"signal {code - 128}"


def describe_exit(code: int) -> str:
    if code > 128:
        return f"was killed by {signal_name(code)}"
    if code == 127:
        return "could not be started (exit status 127)"
    return f"exited with status {code}"


class StudentProgram:
    def __init__(self, *, file: str, args: list[str], cwd: Path, out_dir: Path,
                 containment: Containment, transcript: Transcript,
                 stdin: bytes | Path | None = None, label: str = "program") -> None:
        self.file, self.args, self.cwd = file, list(args), cwd
        self.containment = containment
        self.transcript = transcript
        self.label = label
        n = next(_counter)
        self.stdout_path = out_dir / f"run{n}.stdout"
        self.stderr_path = out_dir / f"run{n}.stderr"
        self.stdin_path: Path | None = None
        if isinstance(stdin, bytes):
            self.stdin_path = out_dir / f"run{n}.stdin"
            self.stdin_path.write_bytes(stdin)
        elif isinstance(stdin, Path):
            self.stdin_path = stdin
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.returncode: int | None = None
        self.stopped = False  # set once the harness stops it: exits after that are ours

    @property
    def command(self) -> str:
        return " ".join(["python3", self.file, *self.args])

    def start(self) -> StudentProgram:
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.cwd),
            "LANG": "C.UTF-8",
            "TZ": "UTC",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        spec = {
            "mode": self.containment.mode,
            "uid": self.containment.uid,
            "rlimits": self.containment.rlimits,
            "cwd": str(self.cwd),
            "argv": [sys.executable, self.file, *self.args],
            "env": env,
        }
        stdin = open(self.stdin_path, "rb") if self.stdin_path else open(os.devnull, "rb")
        out = open(self.stdout_path, "wb")
        err = open(self.stderr_path, "wb")
        if self.containment.uid is not None:
            for f in (out, err):
                os.chmod(f.name, 0o600)
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-S", "-m", "harness.contain", json.dumps(spec)],
                stdin=stdin, stdout=out, stderr=err, cwd=HARNESS_ROOT,
                env={**env, "PYTHONPATH": HARNESS_ROOT}, start_new_session=True,
            )
        finally:
            for f in (stdin, out, err):
                f.close()
        self.started_at = time.monotonic()
        self.transcript.note(self.label, f"started `{self.command}`")
        return self

    # ---- state -------------------------------------------------------------
    def poll(self) -> int | None:
        if self.proc is not None and self.returncode is None:
            self.returncode = self.proc.poll()
        return self.returncode

    def running(self) -> bool:
        return self.poll() is None

    def wait(self, timeout: float) -> int | None:
        """Exit status, or None if still running after timeout."""
        assert self.proc is not None
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.returncode

    def pids(self) -> list[int]:
        """Every process of the student's (main process, threads' leader, children)."""
        if self.proc is None:
            return []
        if self.containment.mode == "uid" and self.containment.uid is not None:
            return procfs.pids_of_uid(self.containment.uid)
        tree = procfs.descendants(self.proc.pid)
        if self.containment.mode == "pidns" and tree:
            init = self.init_pid()
            tree = [p for p in tree if p != init]
        return tree

    def init_pid(self) -> int | None:
        kids = procfs.children_map().get(self.proc.pid, []) if self.proc else []
        return kids[0] if kids else None

    def main_pid(self) -> int | None:
        """The process running the student's file (not our trampoline or init)."""
        if self.proc is None:
            return None
        kids = procfs.children_map()
        first = kids.get(self.proc.pid, [])
        if self.containment.mode == "pidns":
            first = kids.get(first[0], []) if first else []
        return first[0] if first else None

    def wait_main_pid(self, timeout: float = 2.0) -> int | None:
        return poll(lambda: self.main_pid() if self.running() else -1, timeout) or None

    # ---- output ------------------------------------------------------------
    def stdout(self) -> bytes:
        return _read_capped(self.stdout_path)

    def stderr(self) -> bytes:
        return _read_capped(self.stderr_path)

    def stderr_tail(self, lines: int = 12) -> str:
        text = self.stderr().decode("utf-8", "replace").rstrip()
        if not text:
            return "(nothing on stderr)"
        tail = text[-8000:].splitlines()[-lines:]  # bounded even for output without newlines
        return "\n".join("    " + (line if len(line) <= 300 else line[:300] + " ...") for line in tail)

    # ---- stopping ----------------------------------------------------------
    def interrupt(self) -> None:
        if self.proc is not None and self.running():
            try:
                self.proc.send_signal(signal.SIGINT)
            except OSError:
                pass

    def stop(self, grace: float = 0.5) -> None:
        """SIGINT, a short grace period, then kill everything the program started."""
        if self.proc is None:
            return
        self.stopped = True
        if self.running():
            self.interrupt()
            self.wait(grace)
        self.kill()

    def kill(self) -> None:
        if self.proc is None:
            return
        if self.running():
            try:
                self.proc.send_signal(signal.SIGTERM)  # the trampoline kills everything
            except OSError:
                pass
            if self.wait(2.0) is None:
                self.proc.kill()
                self.wait(2.0)
        if self.containment.mode == "uid" and self.containment.uid is not None:
            from harness.contain import kill_uid

            kill_uid(self.containment.uid)
        elif self.containment.mode == "group":
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass


def _read_capped(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(OUTPUT_CAP)
    except OSError:
        return b""
