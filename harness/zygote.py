"""A warm start for harness.runner: import pytest and the harness once, fork a runner per submission.

    python3 -P -m harness.zygote        (fd 0: a SOCK_SEQPACKET Unix socket to the grader)

A batch starts the runner once per submission; its interpreter and imports cost
about 0.2 s of CPU each time, the most expensive part of a correct submission
after the program starts themselves. This process pays them once. Each child is,
as far as its run can tell, `python3 -P -m harness.runner ARGV`: a session of
its own, the request's environment, working folder, stdout and stderr, and the
request's cgroup from its first instruction on. What the children share is only
what was imported before any submission was seen (copy-on-write), so one
submission's run cannot reach another's.

The zygote never runs a check and never starts a thread: a forked child of a
threaded process may deadlock, and unshare(CLONE_NEWUSER), the runner's first
step, refuses a threaded process. When the grader goes (its end of the socket
closes), the zygote kills the runners it forked and exits.

Messages (JSON, one per packet; file descriptors by SCM_RIGHTS):
    grader -> zygote  {"argv": [...], "env": {...}, "cwd": DIR, "procs": PATH|null}, fds [stdout, stderr]
    zygote -> grader  {"pid": N}, and once that runner has ended {"exited": N, "code": C}
                      (C as subprocess.Popen.returncode: negative for a signal)
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import selectors
import signal
import socket
import sys
from typing import Any

MAX_MESSAGE = 1 << 20  # bytes: a request is an argv and an environment
ENTER_CGROUP_FAILED = 125  # as grader.cpu_quota.entering's shell wrapper
# scripts, not imported by a run: contain is exec'ed per program start, docker_entry is the container's
NOT_PRELOADED = {"harness.zygote", "harness.contain", "harness.docker_entry"}


def preload() -> None:
    """Everything a run imports whatever the lab (measured with -X importtime)."""
    import _pytest.config

    for name in _pytest.config.default_plugins:
        with contextlib.suppress(ImportError):
            __import__(f"_pytest.{name}")
    import importlib
    import pkgutil

    import pytest  # noqa: F401

    import harness

    importlib.import_module("pytest_timeout")  # untyped: imported by name
    for found in pkgutil.walk_packages(harness.__path__, "harness."):
        if found.name not in NOT_PRELOADED:
            importlib.import_module(found.name)


def main() -> int:
    preload()
    # What was imported lives as long as the zygote: out of the collector's sight, so that no run's
    # collections walk it (or copy its pages: a collection writes to every object it visits).
    gc.collect()
    gc.freeze()
    sock = socket.socket(fileno=0)
    children: set[int] = set()
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # a handler, so the wakeup fd is written
    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ)
    selector.register(wake_r, selectors.EVENT_READ)
    try:
        while True:
            for key, _ in selector.select():
                if key.fileobj is sock:
                    if not _serve(sock, children, (wake_r, wake_w)):
                        return 0
                else:
                    os.read(wake_r, 4096)
                    _reap(sock, children)
    finally:
        for pid in children:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)


def _serve(sock: socket.socket, children: set[int], wake: tuple[int, int]) -> bool:
    """One request: fork its runner. False once the grader has gone."""
    try:
        data, fds, _flags, _addr = socket.recv_fds(sock, MAX_MESSAGE, 2)
    except OSError:
        return False
    if not data:
        return False
    try:
        request = json.loads(data)
        pid = os.fork()
    except BaseException as exc:  # noqa: BLE001 - the grader falls back to a cold start
        for fd in fds:
            os.close(fd)
        sock.send(json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode())
        return True
    if pid == 0:
        _child(request, fds, sock, wake)  # never returns
    for fd in fds:
        os.close(fd)
    children.add(pid)
    sock.send(json.dumps({"pid": pid}).encode())
    return True


def _reap(sock: socket.socket, children: set[int]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        children.discard(pid)
        sock.send(json.dumps({"exited": pid, "code": os.waitstatus_to_exitcode(status)}).encode())


def _child(request: dict[str, Any], fds: list[int], sock: socket.socket, wake: tuple[int, int]) -> None:
    code = 1
    try:
        os.setsid()
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        sock.close()
        for fd in wake:
            os.close(fd)
        if request.get("procs"):
            try:
                with open(request["procs"], "w") as procs:
                    procs.write(f"{os.getpid()}\n")
            except OSError:
                os._exit(ENTER_CGROUP_FAILED)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(fds[0], 1)
        os.dup2(fds[1], 2)
        for fd in (devnull, *fds):
            if fd > 2:
                os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        from harness import runner

        sys.argv = [runner.__file__, *request["argv"]]
        code = runner.main(request["argv"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - what a cold `python -m harness.runner` would print
        import traceback

        traceback.print_exc()
    finally:
        from harness.runner import exit_now

        exit_now(code)


if __name__ == "__main__":
    sys.exit(main())
