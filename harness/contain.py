"""The trampoline that starts one student program inside its containment.

Run as `python3 -S -P .../harness/contain.py SPEC` (SPEC: the marshalled spec in hex;
see harness.launch). It is started once per program, so it imports as little as it
can: marshal (built in) rather than json (which pulls in re and enum), no typing,
no runpy (`-m`), no enum (`signal`'s wrappers). Rule: whatever happens, every
process the student started dies when the launcher says so or when the
launcher itself dies. Three modes:

  pidns  (local sandbox on Linux) the student runs under a tiny init that is
         PID 1 of a fresh PID namespace. When init dies, the kernel kills every
         process in the namespace, including ones that called setsid or
         double-forked. init dies when the student's main process exits, when
         the trampoline gets SIGTERM, or when the trampoline dies
         (PR_SET_PDEATHSIG). Before it starts the program, init gives it its
         own view of the filesystem (harness.mounts), and the program itself
         goes into a user namespace of its own (see _own_user), where it has
         no capability over anything of ours and its process count is its own.

         The student cannot end init: the kernel never delivers SIGKILL or
         SIGSTOP to a namespace's init from inside it, init takes SIGINT and
         SIGTERM only from outside the namespace (si_pid 0: the sender has no
         pid in it), and init is not dumpable (no ptrace, no /proc/1/mem).
  uid    (Docker) the student runs as a dedicated uid; killing all of it means
         kill(-1, SIGKILL) from a process with that uid, repeated until /proc
         shows none left. No capability beyond SETUID is needed.
  group  (fallback, e.g. macOS) the student's process group only.

SIGINT to the trampoline reaches the student's process group (like Ctrl-C).
SIGTERM to the trampoline kills everything.
"""

from __future__ import annotations

import ctypes
import marshal
import os
import resource
import sys
import time

from harness.crowd import CROWD_EVERY, Crowd

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)

if TYPE_CHECKING:
    import signal
    from collections.abc import Callable
    from typing import Any
else:  # the same functions and constants; `signal` adds enum types, and importing enum costs 7 ms a start
    import _signal as signal

CLONE_NEWPID = 0x20000000
CLONE_NEWUSER = 0x10000000
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38

# The libc symbols already loaded into this process: ctypes.util.find_library would cost
# every program start ~25 ms (it imports shutil and subprocess, and may run ldconfig).
_libc = ctypes.CDLL(None, use_errno=True)

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


def as_uid(uid: int, action: Callable[[], object]) -> None:
    """Run action in a forked child that has dropped to uid (and only uid's rights)."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            action()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def kill_uid(uid: int) -> None:
    """Kill every process owned by uid, from a child that has that uid."""
    from harness.procfs import pids_of_uid

    for _ in range(50):
        if not pids_of_uid(uid):
            return
        as_uid(uid, lambda: os.kill(-1, signal.SIGKILL))
        time.sleep(0.005)  # poll: let the killed processes be reaped


def _exec_student(spec: dict[str, Any]) -> None:
    """In the forked child: become the student's program. Never returns."""
    try:
        if spec["mode"] != "group":
            os.setsid()  # its own process group, so SIGINT reaches its children as Ctrl-C would
        try:  # under memory pressure the kernel kills the student's processes, not the runner
            with open("/proc/self/oom_score_adj", "w") as f:
                f.write("1000")
        except OSError:
            pass
        if spec.get("user"):
            _own_user(spec["user"])
        for name, value in spec.get("rlimits", {}).items():
            resource.setrlimit(RLIMITS[name], (value, value))
        uid = spec.get("uid")
        if uid is not None:
            os.setgroups([])
            os.setgid(spec.get("gid", uid))
            os.setuid(uid)
        os.chdir(spec["cwd"])
        default_signals()
        os.execve(spec["argv"][0], spec["argv"], spec["env"])
    except BaseException as exc:  # noqa: BLE001 - reported to the student as a start failure
        os.write(2, f"grader: could not start the program: {exc}\n".encode())
    os._exit(127)


def default_signals() -> None:
    """Every signal at its default action and none blocked, as a program started from a terminal has them.

    An ignored signal stays ignored across exec: started from a background job of a non-interactive shell
    (`grader check ... &`, nohup, many CI runners), the program would inherit SIGINT and SIGQUIT ignored,
    so Python would install no KeyboardInterrupt handler and every stop would wait out its grace period
    before the kill (measured: 5.1 s for a `grader check tcp_echo` that takes 0.6 s otherwise), and a check
    that stops the program with Ctrl-C would see another program than the student's terminal does."""
    for sig in signal.valid_signals():
        if sig not in (signal.SIGKILL, signal.SIGSTOP):
            try:
                signal.signal(sig, signal.SIG_DFL)
            except (OSError, ValueError):  # the real-time signals libc keeps for itself
                pass
    signal.pthread_sigmask(signal.SIG_SETMASK, set())


def _own_user(user: dict[str, Any]) -> None:
    """A user namespace of the program's own, with one uid and no capability outside it.

    The runner's own uid (root of its user namespace, or real root) would let the
    program undo harness.mounts, and real root is exempt from RLIMIT_NPROC. Here,
    RLIMIT_NPROC (set after this) counts the processes of (this namespace, uid)
    only (Linux >= 5.14): a fork bomb meets its own limit, never a neighbour's.
    Real root first becomes an unprivileged uid of the sandbox's (`setuid`).
    """
    if user.get("setuid") is not None:
        os.setgroups([])
        os.setgid(user["setuid"])
        os.setuid(user["setuid"])
        _libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # setuid cleared it: /proc/self/uid_map would be root's
    outer_uid, outer_gid = os.getuid(), os.getgid()
    if _libc.unshare(CLONE_NEWUSER) != 0:
        raise OSError(ctypes.get_errno(), "cannot create a user namespace for the program")
    for name, text in (("setgroups", "deny"), ("uid_map", f"{user['inner']} {outer_uid} 1"),
                       ("gid_map", f"{user['inner']} {outer_gid} 1")):
        with open(f"/proc/self/{name}", "w") as f:
            f.write(text)
    _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def _status_code(status: int) -> int:
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


FROM_OUTSIDE = 0  # si_pid of a signal whose sender has no pid in the namespace (the trampoline)


def _run_init(spec: dict[str, Any]) -> None:
    """PID 1 of the student's namespace: build its view, reap, take orders only from outside."""
    die_with_parent()
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    if spec.get("view"):
        from harness import mounts

        view: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in spec["view"].items()}
        mounts.build(mounts.View(**view))
    wanted = {signal.SIGCHLD, signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, wanted)
    student = os.fork()
    if student == 0:
        _exec_student(spec)  # which unblocks them (default_signals)
    crowd = Crowd(spec.get("rlimits", {}).get("nproc"))
    next_tick = time.monotonic() + CROWD_EVERY
    while True:  # a deadline, not a fixed wait: a stream of SIGCHLD must not postpone the census
        info = signal.sigtimedwait(wanted, max(0.0, next_tick - time.monotonic()))
        if info is None:
            next_tick = time.monotonic() + crowd.tick()
        elif info.si_signo == signal.SIGINT and info.si_pid == FROM_OUTSIDE:
            crowd.resume()  # a stopped program would not see its Ctrl-C before the kill
            _killpg(student, signal.SIGINT)
        elif info.si_signo == signal.SIGTERM and info.si_pid == FROM_OUTSIDE:
            crowd.release()
            os._exit(143)  # the kernel kills the namespace, stopped tasks too
        elif info.si_signo == signal.SIGCHLD:
            _reap(student)


def _reap(student: int) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            os._exit(0)
        if pid == 0:
            return
        if pid == student:
            os._exit(_status_code(status))  # the kernel now kills the rest of the namespace


def _killpg(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except OSError:
        pass


def main() -> None:
    if sys.argv[1] == "--serve":
        serve(int(sys.argv[2]))
    launch(marshal.loads(bytes.fromhex(sys.argv[1])))


def launch(spec: dict[str, Any]) -> None:
    """Be the trampoline of one program (the modes above). Never returns."""
    die_with_parent()
    if spec.get("parent") and os.getppid() != spec["parent"]:
        # the runner died before this interpreter got here (it was SIGKILLed at its deadline as it
        # started us): no parent-death signal will come, so go now. Seen: a student's server left
        # running for 15 min under a cgroup nobody could remove.
        os._exit(125)
    mode = spec["mode"]
    if mode == "pidns":
        if _libc.unshare(CLONE_NEWPID) != 0:
            err = ctypes.get_errno()
            os.write(2, f"grader: cannot create a PID namespace: {os.strerror(err)}\n".encode())
            os._exit(126)
        child = os.fork()
        if child == 0:
            try:
                _run_init(spec)
            finally:  # init never returns: an exception must not run the trampoline's code below
                os._exit(125)
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


# ---- the fork server (harness.spawner) ---------------------------------------------------
# One trampoline per program costs an interpreter start and these imports (~20 ms wall, most of it
# CPU, nine times a run). The runner starts this module once as a fork server instead: each program's
# trampoline is then a fork of it, already imported. The server is single-threaded (forking is safe),
# dies with the runner (PR_SET_PDEATHSIG) and ends when the runner closes the socket. Messages
# (SOCK_SEQPACKET, one per datagram): runner -> server  b"S" + "request-id " + marshalled spec, with
# the program's stdin, stdout, stderr and, for a check's own network namespace, its /proc/.../ns/net as
# SCM_RIGHTS; b"K" + "pid signal"; server -> runner  b"P" + "request-id pid" (started), b"E" +
# "request-id errno" (fork failed), b"X" + "pid code" (exited: code as subprocess gives it, -N for signal N). The server is each trampoline's parent, so only it reaps them,
# and it never signals a pid it has already reaped (no pid-reuse race).
CLONE_NEWNET = 0x40000000


def serve(fd: int) -> None:
    import select
    import socket

    die_with_parent()
    sock = socket.socket(fileno=fd)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    os.set_blocking(wake_r, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_w)
    children: set[int] = set()
    while True:
        ready, _, _ = select.select([sock.fileno(), wake_r], [], [])
        if wake_r in ready:
            try:
                os.read(wake_r, 512)
            except BlockingIOError:
                pass
            _report_exits(sock, children)
        if sock.fileno() not in ready:
            continue
        try:
            message, fds, _, _ = socket.recv_fds(sock, 1 << 20, 4)
        except OSError:
            message, fds = b"", []
        if not message:  # the runner closed its end: it is done (or gone)
            for pid in children:
                _kill(pid, signal.SIGKILL)
            os._exit(0)
        if message[:1] == b"S":
            ident, _, packed = message[1:].partition(b" ")
            try:
                pid = os.fork()
            except OSError as exc:  # EAGAIN: the machine is out of processes; the runner tries another way
                for each in fds:
                    os.close(each)
                sock.send(b"E%s %d" % (ident, exc.errno or 0))
                continue
            if pid == 0:
                try:
                    signal.set_wakeup_fd(-1)
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    sock.close()
                    os.close(wake_r)
                    os.close(wake_w)
                    _become_trampoline(marshal.loads(packed), fds)
                finally:
                    os._exit(125)
            children.add(pid)
            for each in fds:
                os.close(each)
            sock.send(b"P%s %d" % (ident, pid))
        elif message[:1] == b"K":
            pid, sig = map(int, message[1:].split())
            if pid in children:
                _kill(pid, sig)


def _become_trampoline(spec: dict[str, Any], fds: list[int]) -> None:
    for target, fd in enumerate(fds[:3]):
        os.dup2(fd, target)
    if len(fds) > 3 and _libc.setns(fds[3], CLONE_NEWNET) != 0:
        os.write(2, f"grader: cannot enter the check's network namespace: {os.strerror(ctypes.get_errno())}\n".encode())
        os._exit(126)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    os.setsid()  # as subprocess's start_new_session: the trampoline leads a process group of its own
    launch(spec)


def _report_exits(sock: Any, children: set[int]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        children.discard(pid)
        sock.send(b"X%d %d" % (pid, os.waitstatus_to_exitcode(status)))


if __name__ == "__main__":
    main()
