"""The grader's end of harness.zygote: runners forked from one warm process instead of started cold.

A batch on the local sandbox grades many submissions with the same
environment; starting `python3 -m harness.runner` for each pays the
interpreter and pytest's imports every time (about 0.2 s of CPU). WarmStart
keeps one harness.zygote per backend and asks it for each run; what it hands
back behaves as the subprocess.Popen the cold start gives (pid, wait, returncode,
stderr), so the backend treats both alike. A run whose environment differs from
the zygote's (a test that set a variable since) starts cold: modules read some
variables when imported.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import weakref
from collections.abc import Mapping
from typing import IO, Any

MAX_MESSAGE = 1 << 16


class WarmProcess:
    """A runner forked by the zygote: the part of subprocess.Popen the local backend uses."""

    def __init__(self, pid: int, owner: WarmStart, stderr: IO[bytes] | None) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self.stderr = stderr
        self._owner = owner

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is not None:
            return self.returncode
        code = self._owner.wait_for(self.pid, timeout)
        if code is None:
            raise subprocess.TimeoutExpired(f"runner {self.pid}", timeout or 0.0)
        self.returncode = code
        return code


class WarmStart:
    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = dict(env)
        self._lock = threading.Lock()  # one request at a time: its reply is the next {"pid"} message
        self._replies: queue.Queue[dict[str, Any]] = queue.Queue()
        self._ended: dict[int, int] = {}
        self._changed = threading.Condition()
        self._broken = False
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            # -P: as the cold start (the user's current folder must not shadow the harness)
            self._proc = subprocess.Popen([sys.executable, "-P", "-m", "harness.zygote"], stdin=theirs.fileno(),
                                          stdout=subprocess.DEVNULL, env=self.env, start_new_session=True)
        finally:
            theirs.close()
        self._sock = ours
        threading.Thread(target=self._read, daemon=True, name="zygote-reader").start()
        # the zygote exits when its socket closes: with this object, or with the grader process
        self._finalizer = weakref.finalize(self, _close, self._sock, self._proc)

    def close(self) -> None:
        self._finalizer()

    def spawn(self, argv: list[str], env: Mapping[str, str], cwd: str, procs: str | None,
              stdout: int, stderr: int | None) -> WarmProcess | None:
        """Fork harness.runner with `argv`; None when this zygote cannot (the caller starts it cold).

        stderr None: a pipe, readable as the result's .stderr (progress events)."""
        if self._broken or dict(env) != self.env:
            return None
        pipe_r = pipe_w = None
        if stderr is None:
            pipe_r, pipe_w = os.pipe()
            stderr = pipe_w
        message = json.dumps({"argv": argv, "env": dict(env), "cwd": cwd, "procs": procs}).encode()
        try:
            with self._lock:
                socket.send_fds(self._sock, [message], [stdout, stderr])
                reply = self._replies.get(timeout=30)
        except (OSError, queue.Empty):
            reply = {"error": "no answer"}
        finally:
            if pipe_w is not None:
                os.close(pipe_w)
        if "pid" not in reply:
            self._broken = True
            if pipe_r is not None:
                os.close(pipe_r)
            return None
        return WarmProcess(int(reply["pid"]), self, os.fdopen(pipe_r, "rb") if pipe_r is not None else None)

    def wait_for(self, pid: int, timeout: float | None) -> int | None:
        """The runner's exit code, or None if it is still running after `timeout` seconds."""
        with self._changed:
            done = self._changed.wait_for(lambda: pid in self._ended or self._broken, timeout)
            if not done:
                return None
            if pid in self._ended:
                return self._ended.pop(pid)
        # the zygote died under it (it kills its runners as it goes): as a runner killed without a word
        return -9

    def _read(self) -> None:
        while True:
            try:
                data = self._sock.recv(MAX_MESSAGE)
            except OSError:
                data = b""
            if not data:
                break
            try:
                message = json.loads(data)
            except ValueError:
                continue
            if "exited" in message:
                with self._changed:
                    self._ended[int(message["exited"])] = int(message["code"])
                    self._changed.notify_all()
            else:
                self._replies.put(message)
        with self._changed:
            self._broken = True
            self._changed.notify_all()
        self._replies.put({"error": "the zygote has gone"})


def _close(sock: socket.socket, proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
