"""The runner's end of the trampoline fork server (harness.contain.serve).

`Spawner.spawn(spec, stdin, stdout, stderr)` starts one program's trampoline as a
fork of a server the runner started once, and returns a `ServedProcess` that
StudentProgram uses as it would a subprocess.Popen: pid, poll(), wait(timeout),
send_signal(), kill(). Measured here: a trampoline started as its own
interpreter took 20-30 ms (most of it CPU) before it got to the program; a fork
of the server takes about 1 ms. The spawned trampoline is the server's child,
so the server reaps it and reports its exit; signals go through the server too.

Only where the trampoline has Linux modes to run (pidns, uid): the `group`
fallback (any system) keeps one interpreter per program (harness.launch).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

HARNESS_ROOT = str(Path(__file__).resolve().parent.parent)
CONTAIN = str(Path(__file__).resolve().with_name("contain.py"))


class SpawnerGone(OSError):
    """The fork server is not there (it died, or could not start): start programs the slow way."""


class Spawner:
    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.server = subprocess.Popen(
                [sys.executable, "-S", "-P", CONTAIN, "--serve", str(theirs.fileno())],
                pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, cwd=HARNESS_ROOT,
                env={"PATH": "/usr/local/bin:/usr/bin:/bin", "PYTHONPATH": HARNESS_ROOT})
        finally:
            theirs.close()
        self.sock = ours
        self.lock = threading.Lock()  # one spawn request at a time
        self.changed = threading.Condition()
        self.started: dict[int, int] = {}  # request id -> pid, or -errno when the fork failed
        self.requests = 0
        self.exits: dict[int, int] = {}
        self.gone = False
        threading.Thread(target=self._read, name="spawner", daemon=True).start()

    @property
    def pid(self) -> int:
        return self.server.pid

    def _read(self) -> None:
        while True:
            try:
                message = self.sock.recv(64)
            except OSError:
                message = b""
            with self.changed:
                if not message:
                    self.gone = True
                elif message[:1] in (b"P", b"E"):
                    ident, value = map(int, message[1:].split())
                    self.started[ident] = value if message[:1] == b"P" else -value
                elif message[:1] == b"X":
                    pid, code = map(int, message[1:].split())
                    self.exits[pid] = code
                self.changed.notify_all()
            if not message:
                return

    def spawn(self, spec: dict[str, Any], stdin: int, stdout: int, stderr: int,
              netns: bool = False) -> ServedProcess:
        """Start a trampoline for `spec` (harness.contain) with these descriptors, in this
        thread's current network namespace if `netns` (a check's own). SpawnerGone if it cannot."""
        import marshal

        fds = [stdin, stdout, stderr]
        ns = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC) if netns else None
        if ns is not None:
            fds.append(ns)
        try:
            with self.lock:
                self.requests += 1
                ident = self.requests
                try:
                    socket.send_fds(self.sock, [b"S%d " % ident + marshal.dumps({**spec, "parent": self.pid})], fds)
                except OSError as exc:
                    raise SpawnerGone(f"the trampoline server is gone: {exc}") from exc
                with self.changed:
                    if not self.changed.wait_for(lambda: ident in self.started or self.gone, timeout=10):
                        raise SpawnerGone("the trampoline server did not answer within 10 s")
                    if ident not in self.started:
                        raise SpawnerGone("the trampoline server is gone")
                    pid = self.started.pop(ident)
                if pid < 0:
                    raise SpawnerGone(f"the trampoline server could not fork: {os.strerror(-pid)}")
                return ServedProcess(self, pid)
        finally:
            if ns is not None:
                os.close(ns)

    def signal(self, pid: int, sig: int) -> None:
        with self.lock:
            try:
                self.sock.send(b"K%d %d" % (pid, sig))
            except OSError:
                pass

    def close(self) -> None:
        """Stop the server (it kills every trampoline still running: each kills its program)."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        try:
            self.server.wait(5)
        except subprocess.TimeoutExpired:
            self.server.kill()
            self.server.wait()


class ServedProcess:
    """A trampoline started by the Spawner, with the part of subprocess.Popen's API the launcher uses."""

    def __init__(self, spawner: Spawner, pid: int) -> None:
        self.spawner, self.pid = spawner, pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            with self.spawner.changed:
                self.returncode = self.spawner.exits.pop(self.pid, None)
                if self.returncode is None and self.spawner.gone:
                    self.returncode = -9  # the server died, and with it (PR_SET_PDEATHSIG) the trampoline
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.poll() is not None:
            return self.returncode  # type: ignore[return-value]
        with self.spawner.changed:
            if not self.spawner.changed.wait_for(lambda: self.pid in self.spawner.exits or self.spawner.gone,
                                                 timeout=timeout):
                raise subprocess.TimeoutExpired(f"trampoline {self.pid}", timeout or 0)
        return self.poll()  # type: ignore[return-value]

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            self.spawner.signal(self.pid, sig)

    def kill(self) -> None:
        import signal

        self.send_signal(signal.SIGKILL)


_spawner: list[Spawner] = []


def spawner() -> Spawner:
    """This runner's fork server, started at the first call (never in a warm zygote: it has no thread)."""
    if not _spawner:
        _spawner.append(Spawner())
    return _spawner[0]


def close() -> None:
    """Stop this runner's fork server, if it was started, and reap it: nothing the runner started
    outlives it (its CPU time is then also the runner's, where a batch measures it)."""
    while _spawner:
        _spawner.pop().close()
