"""Starting and stopping the student's program (one `StudentProgram` per start).

Rule: a started program is always stopped: SIGINT first (KeyboardInterrupt),
then everything it started is killed (harness.contain). The pytest plugin
stops every program at the end of its check, whatever the check's outcome.
"""

from __future__ import annotations

import contextlib
import itertools
import marshal
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import memory, procfs
from harness.capture import OUTPUT_CAP, Capture, Drain
from harness.spawner import ServedProcess, spawner
from harness.transcript import Transcript
from harness.waiting import poll

HARNESS_ROOT = str(Path(__file__).resolve().parent.parent)
CONTAIN = str(Path(__file__).resolve().with_name("contain.py"))  # a script: `-m` would import runpy

DEFAULT_RLIMITS = {
    "cpu": 60,  # CPU seconds: a spinning program cannot outlive its check by much
    "as": 2 << 30,  # address space
    "fsize": OUTPUT_CAP,  # files the program writes itself (its stdout/stderr are pipes: harness.capture)
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
    view: dict[str, Any] | None = None  # pidns: the program's filesystem (harness.mounts.View)
    user: dict[str, Any] | None = None  # pidns: its own user namespace (harness.contain._own_user)
    missing: list[str] = field(default_factory=list)  # what the machine refused of it (harness.local_sandbox)


def base_python() -> str:
    """The grader's interpreter without its virtualenv."""
    return getattr(sys, "_base_executable", None) or sys.executable


def student_python() -> str:
    """The interpreter of the student's program: base_python() in a virtualenv of its own (student_env)."""
    return os.path.join(student_env(), "bin", "python3")


#: Third-party modules a handout tells students to import (labs.md: ntp_time uses ntplib): the
#: only packages in the student's virtualenv, copied read-only.
STUDENT_MODULES = ("ntplib",)
SHIM_MODULE = "_socklab_student_shim"  # harness/student_shim.py, imported at every start of the student's Python
_env: list[str] = []


def student_env(parent: str | None = None) -> str:
    """A bare virtualenv (made once per runner, in `parent` if given) holding only copies of STUDENT_MODULES.

    The runner makes it in its scratch folder, which the student's uid may traverse (in Docker
    $TMPDIR is the runner's private /run/grader: a venv there could not be started).

    The student's program sees the standard library and those modules, the same in every sandbox,
    never the packages of the machine's own Python. That is also faster: the machine's site-packages
    may hold .pth files that import at every start (one here imports certifi: 30 ms of a 40 ms start;
    in this bare one the interpreter starts in 10 ms), and a check starts the program up to nine times.
    A venv, not `-S`: without `site` a student's `exit()` would be a NameError."""
    if not _env:
        import atexit
        import importlib.util
        import shutil
        import tempfile

        folder = tempfile.mkdtemp(prefix="grader-student-site-", dir=parent)
        os.chmod(folder, 0o755)
        base = base_python()
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        site = os.path.join(folder, "lib", f"python{version}", "site-packages")
        os.makedirs(site)
        os.mkdir(os.path.join(folder, "bin"))
        os.symlink(base, os.path.join(folder, "bin", "python3"))
        with open(os.path.join(folder, "pyvenv.cfg"), "w") as cfg:
            cfg.write(f"home = {os.path.dirname(base)}\ninclude-system-site-packages = false\n"
                      f"version = {'.'.join(map(str, sys.version_info[:3]))}\n")
        for name in STUDENT_MODULES:
            spec = importlib.util.find_spec(name)
            if spec is not None and spec.origin and spec.origin.endswith(".py"):
                shutil.copy(spec.origin, site)
        # A .pth line, not sitecustomize.py: Debian's Python (the Docker image's, Gradescope's) has a
        # sitecustomize of its own in the standard library, which comes first on sys.path and hid ours.
        shutil.copy(os.path.join(HARNESS_ROOT, "harness", "student_shim.py"), os.path.join(site, f"{SHIM_MODULE}.py"))
        with open(os.path.join(site, "socklab-grader-shim.pth"), "w") as pth:
            pth.write(f"import {SHIM_MODULE}\n")
        # Their bytecode too: the student's uid cannot write __pycache__ here, so every program start
        # compiled the shim again (1.7 ms of a 17 ms start, -X importtime).
        import py_compile

        for name in os.listdir(site):
            if name.endswith(".py"):
                py_compile.compile(os.path.join(site, name), doraise=False)
        # Read-only for everyone, the student's uid included (the venv's own folders, then the top).
        locked = [os.path.join(site, "__pycache__"), site, os.path.join(folder, "lib", f"python{version}"),
                  os.path.join(folder, "lib"), os.path.join(folder, "bin"), folder]
        locked = [path for path in locked if os.path.isdir(path)]
        for path in locked:
            os.chmod(path, 0o555)

        def remove() -> None:
            for path in reversed(locked):
                with contextlib.suppress(OSError):
                    os.chmod(path, 0o755)
            shutil.rmtree(folder, ignore_errors=True)

        atexit.register(remove)
        _env.append(folder)
    return _env[0]


RESOLVE_VAR = "GRADER_RESOLVE"  # read by harness.student_shim in the student's interpreter
BUFFERS_VAR = "GRADER_TCP_BUFFERS"  # likewise
NO_IPV6_LOOPBACK_VAR = "GRADER_NO_IPV6_LOOPBACK"  # likewise
SPAWNER_VAR = "GRADER_SPAWNER"  # "0": one interpreter per trampoline, as before the fork server (for comparison)


def uses_spawner(mode: str) -> bool:
    """Programs of this containment mode start as forks of the runner's server (harness.spawner):
    the Linux modes (pidns, uid), unless SPAWNER_VAR turns it off."""
    return mode != "group" and os.environ.get(SPAWNER_VAR) != "0"


def _served(spec: dict[str, Any], stdin: int, stdout: int, stderr: int) -> ServedProcess | None:
    """The trampoline as a fork of this runner's server (harness.spawner), where its modes run
    (Linux: pidns, uid); None where it does not, or if the server is gone: then a fresh interpreter."""
    if not uses_spawner(spec["mode"]):
        return None
    try:
        server = spawner()
        here = os.stat("/proc/thread-self/ns/net").st_ino
        theirs = os.stat(f"/proc/{server.pid}/ns/net").st_ino
        return server.spawn(spec, stdin, stdout, stderr, netns=here != theirs)
    except OSError:
        return None


def ipv6_loopback_usable() -> bool:
    """Whether ::1 can be bound in the calling thread's network namespace (the one the program
    starts in). Not in Docker's default container (Gradescope's): IPv6 is off there."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


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
                 stdin: bytes | Path | None = None, label: str = "program",
                 resolve: dict[str, tuple[str, int]] | None = None,
                 tcp_buffers: dict[str, int] | None = None) -> None:
        self.file, self.args, self.cwd = file, list(args), cwd
        self.resolve = dict(resolve or {})  # host name -> where it is served (harness.student_shim)
        self.tcp_buffers = dict(tcp_buffers or {})  # "sndbuf"/"rcvbuf" -> fixed size (harness.student_shim)
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
        self.proc: subprocess.Popen[bytes] | ServedProcess | None = None
        self.out: Capture | None = None
        self.err: Capture | None = None
        self.drain: Drain | None = None
        self.oom_before: int | None = None
        self.oom_after: int | None = None  # the OOM-kill count when we first saw it exit
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
        if self.resolve:
            env[RESOLVE_VAR] = ",".join(f"{name}={ip}:{port}" for name, (ip, port) in self.resolve.items())
        if self.tcp_buffers:
            env[BUFFERS_VAR] = ",".join(f"{name}={size}" for name, size in self.tcp_buffers.items())
        if not ipv6_loopback_usable():
            env[NO_IPV6_LOOPBACK_VAR] = "1"
        spec = {
            "mode": self.containment.mode,
            "uid": self.containment.uid,
            "rlimits": self.containment.rlimits,
            "cwd": str(self.cwd),
            "argv": [student_python(), self.file, *self.args],
            "env": env,
            "view": self.containment.view,
            "user": self.containment.user,
            "parent": os.getpid(),  # harness.contain: the runner, which it must not outlive
        }
        stdin = open(self.stdin_path, "rb") if self.stdin_path else open(os.devnull, "rb")
        # Docker only: there the memory cgroup is this submission's alone (locally it is shared)
        self.oom_before = memory.oom_kills() if self.containment.mode == "uid" else None
        self.out, self.err = Capture(self.stdout_path), Capture(self.stderr_path)
        self.drain = Drain([self.out, self.err])
        try:
            self.proc = _served(spec, stdin.fileno(), self.out.write_fd, self.err.write_fd)
            if self.proc is None:
                self.proc = subprocess.Popen(
                    [sys.executable, "-S", "-P", CONTAIN, marshal.dumps(spec).hex()],
                    stdin=stdin, stdout=self.out.write_fd, stderr=self.err.write_fd, cwd=HARNESS_ROOT,
                    env={**env, "PYTHONPATH": HARNESS_ROOT}, start_new_session=True,
                )
        except BaseException:
            self.drain.close()
            raise
        finally:
            stdin.close()
        self.drain.start()
        self.started_at = time.monotonic()
        self.transcript.note(self.label, f"started `{self.command}`")
        return self

    # ---- state -------------------------------------------------------------
    def poll(self) -> int | None:
        if self.proc is not None and self.returncode is None:
            self._exited(self.proc.poll())
        return self.returncode

    def _exited(self, code: int | None) -> None:
        self.returncode = code
        if code is not None and self.oom_after is None:
            self.oom_after = memory.oom_kills()

    def running(self) -> bool:
        return self.poll() is None

    def wait(self, timeout: float) -> int | None:
        """Exit status, or None if still running after timeout."""
        assert self.proc is not None
        try:
            self._exited(self.proc.wait(timeout=timeout))
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
            tree = tree[1:]  # the first is the trampoline's only child: the namespace's init
        return tree

    def main_pid(self) -> int | None:
        """The process running the student's file (not our trampoline or init)."""
        if self.proc is None:
            return None
        first = procfs.children_of(self.proc.pid)
        if self.containment.mode == "pidns":
            first = procfs.children_of(first[0]) if first else []
        return first[0] if first else None

    def wait_main_pid(self, timeout: float = 2.0) -> int | None:
        return poll(lambda: self.main_pid() if self.running() else -1, timeout) or None

    # ---- output ------------------------------------------------------------
    def stdout(self) -> bytes:
        return self.out.read() if self.out else b""

    def stderr(self) -> bytes:
        return self.err.read() if self.err else b""

    def notes(self) -> list[str]:
        """Feedback on what the sandbox did to the program: an OOM kill, output past the cap."""
        after = self.oom_after if self.oom_after is not None or self.oom_before is None else memory.oom_kills()
        oom = memory.oom_note(self.command, self.oom_before, after)
        notes = [oom] if oom else []
        for name, cap in (("stdout", self.out), ("stderr", self.err)):
            if cap is not None and cap.dropped:
                notes.append(f"`{self.command}` printed {(cap.kept + cap.dropped) / (1 << 20):.1f} MiB on {name}: "
                             f"the grader kept the first {OUTPUT_CAP >> 20} MiB and discarded the rest "
                             "(the output was truncated; the program itself was not slowed or stopped).")
        return notes

    def stderr_tail(self, lines: int = 12) -> str:
        text = self.stderr().decode("utf-8", "replace").rstrip()
        if not text:
            return "(nothing on stderr)"
        # A traceback names files by where the sandbox put the copy (a scratch folder here, another path in
        # Docker): show them relative to the submission, as the student's own folder has them, the same
        # in every sandbox.
        for root in {str(self.cwd), os.path.realpath(self.cwd)}:
            text = text.replace(f'"{root}/', '"')
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
        if self.drain is not None:
            self.drain.close()
