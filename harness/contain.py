"""The trampoline that starts one student program inside its containment.

Run as `python3 -m harness.contain SPEC_JSON`. Rule: whatever happens, every
process the student started dies when the launcher says so or when the
launcher itself dies. Three modes:

  pidns  (local sandbox on Linux) the student runs under a tiny init that is
         PID 1 of a fresh PID namespace. When init dies, the kernel kills every
         process in the namespace, including ones that called setsid or
         double-forked. init dies when the student's main process exits, when
         the trampoline gets SIGTERM, or when the trampoline dies
         (PR_SET_PDEATHSIG).
  uid    (Docker) the student runs as a dedicated uid; killing all of it means
         kill(-1, SIGKILL) from a process with that uid, repeated until /proc
         shows none left. No capability beyond SETUID is needed.
  group  (fallback, e.g. macOS) the student's process group only.

SIGINT to the trampoline reaches the student's process group (like Ctrl-C).
SIGTERM to the trampoline kills everything.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import resource
import signal
import sys
import time

CLONE_NEWPID = 0x20000000
PR_SET_PDEATHSIG = 1

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)

RLIMITS = {
    "cpu": resource.RLIMIT_CPU,
    "as": resource.RLIMIT_AS,
    "fsize": resource.RLIMIT_FSIZE,
    "nofile": resource.RLIMIT_NOFILE,
    "nproc": resource.RLIMIT_NPROC,
    "core": resource.RLIMIT_CORE,
}


def die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def kill_uid(uid: int) -> None:
    """Kill every process owned by uid, from a child that has that uid."""
    from harness.procfs import pids_of_uid

    for _ in range(50):
        if not pids_of_uid(uid):
            return
        pid = os.fork()
        if pid == 0:
            try:
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        time.sleep(0.005)  # poll: let the killed processes be reaped


def _exec_student(spec: dict) -> None:
    """In the forked child: become the student's program. Never returns."""
    try:
        if spec["mode"] != "group":
            os.setsid()  # its own process group, so SIGINT reaches its children as Ctrl-C would
        try:  # under memory pressure the kernel kills the student's processes, not the runner
            with open("/proc/self/oom_score_adj", "w") as f:
                f.write("1000")
        except OSError:
            pass
        for name, value in spec.get("rlimits", {}).items():
            resource.setrlimit(RLIMITS[name], (value, value))
        uid = spec.get("uid")
        if uid is not None:
            os.setgroups([])
            os.setgid(spec.get("gid", uid))
            os.setuid(uid)
        os.chdir(spec["cwd"])
        os.execve(spec["argv"][0], spec["argv"], spec["env"])
    except BaseException as exc:  # noqa: BLE001 - reported to the student as a start failure
        os.write(2, f"grader: could not start the program: {exc}\n".encode())
    os._exit(127)


def _status_code(status: int) -> int:
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def _run_init(spec: dict) -> None:
    """PID 1 of the student's namespace: forward signals, reap, exit with the student."""
    die_with_parent()
    student = os.fork()
    if student == 0:
        _exec_student(spec)
    signal.signal(signal.SIGINT, lambda *_: _killpg(student, signal.SIGINT))
    signal.signal(signal.SIGTERM, lambda *_: os._exit(143))
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            os._exit(0)
        except InterruptedError:
            continue
        if pid == student:
            os._exit(_status_code(status))  # the kernel now kills the rest of the namespace


def _killpg(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except OSError:
        pass


def main() -> None:
    spec = json.loads(sys.argv[1])
    die_with_parent()
    mode = spec["mode"]
    if mode == "pidns":
        if _libc.unshare(CLONE_NEWPID) != 0:
            err = ctypes.get_errno()
            os.write(2, f"grader: cannot create a PID namespace: {os.strerror(err)}\n".encode())
            os._exit(126)
        child = os.fork()
        if child == 0:
            _run_init(spec)
        signal.signal(signal.SIGINT, lambda *_: _kill(child, signal.SIGINT))
        signal.signal(signal.SIGTERM, lambda *_: _kill(child, signal.SIGKILL))
    else:
        child = os.fork()
        if child == 0:
            _exec_student(spec)
        uid = spec.get("uid")
        if uid is not None:
            signal.signal(signal.SIGINT, lambda *_: _killpg(child, signal.SIGINT))
            signal.signal(signal.SIGTERM, lambda *_: kill_uid(uid))
        else:  # group mode: we share the student's process group; the launcher kills it
            signal.signal(signal.SIGINT, lambda *_: _kill(child, signal.SIGINT))
            signal.signal(signal.SIGTERM, lambda *_: _kill(child, signal.SIGKILL))
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except InterruptedError:
            continue
    os._exit(_status_code(status))


def _kill(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except OSError:
        pass


if __name__ == "__main__":
    main()
