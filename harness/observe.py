"""Process observers: what the student's program is, and is doing, from /proc.

Threads, child processes (and zombies), open descriptors and their flags, CPU
time, and the system call a process is blocked in. Reading another process's
fd, fdinfo or syscall file needs ptrace rights (same uid, or CAP_SYS_PTRACE);
when they are missing the observer returns None ("no evidence"), never a guess.
"""

from __future__ import annotations

import os
import platform
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from harness import procfs

_SYSCALLS = {
    "x86_64": {
        0: "read", 1: "write", 7: "poll", 23: "select", 35: "nanosleep", 42: "connect",
        43: "accept", 44: "sendto", 45: "recvfrom", 46: "sendmsg", 47: "recvmsg", 61: "wait4",
        202: "futex", 230: "clock_nanosleep", 232: "epoll_wait", 270: "pselect6", 271: "ppoll",
        281: "epoll_pwait", 288: "accept4", 441: "epoll_pwait2",
        34: "pause", 128: "rt_sigtimedwait", 130: "rt_sigsuspend", 247: "waitid",
    },
    "aarch64": {
        63: "read", 64: "write", 72: "pselect6", 73: "ppoll", 22: "epoll_pwait", 101: "nanosleep",
        115: "clock_nanosleep", 98: "futex", 202: "accept", 242: "accept4", 203: "connect",
        206: "sendto", 207: "recvfrom", 211: "sendmsg", 212: "recvmsg", 260: "wait4",
        95: "waitid", 133: "rt_sigsuspend", 137: "rt_sigtimedwait", 441: "epoll_pwait2",
    },
}.get(platform.machine(), {})

WAITING_FOR_IO = frozenset({"select", "pselect6", "poll", "ppoll", "epoll_wait", "epoll_pwait", "epoll_pwait2"})
RECEIVING = frozenset({"read", "recvfrom", "recvmsg"}) | WAITING_FOR_IO
SLEEPING = frozenset({"nanosleep", "clock_nanosleep"})


def blocked_in(pid: int, tid: int | None = None) -> str | None:
    """Name of the system call the (main) thread is blocked in, 'running', or None if unreadable."""
    path = f"/proc/{pid}/task/{tid}/syscall" if tid else f"/proc/{pid}/syscall"
    try:
        text = Path(path).read_text().split()
    except OSError:
        return None
    if not text:
        return None
    if text[0] == "running":
        return "running"
    try:
        nr = int(text[0])
    except ValueError:
        return None
    return _SYSCALLS.get(nr, f"syscall {nr}")


def blocked_in_mode(pid: int, samples: int = 5) -> str | None:
    """The most frequent of several samples (one sample can catch a passing futex)."""
    seen = Counter(s for s in (blocked_in(pid) for _ in range(samples)) if s)
    return seen.most_common(1)[0][0] if seen else None


def thread_count(pid: int) -> int | None:
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return None


def children(pid: int) -> list[int]:
    return procfs.descendants(pid)


def zombies(pids: list[int]) -> list[int]:
    return [p for p in pids if (procfs.stat_fields(p) or ["?"])[0] == "Z"]


def open_fds(pid: int) -> list[int] | None:
    try:
        return sorted(int(fd) for fd in os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def fd_flags(pid: int, fd: int) -> int | None:
    """The file status flags of a descriptor (O_NONBLOCK is os.O_NONBLOCK)."""
    try:
        for line in Path(f"/proc/{pid}/fdinfo/{fd}").read_text().splitlines():
            if line.startswith("flags:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        return None
    return None


def socket_fds(pid: int) -> dict[int, int]:
    """fd -> socket inode for every socket the process holds."""
    out: dict[int, int] = {}
    for fd in open_fds(pid) or []:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            out[fd] = int(target[8:-1])
    return out


def thread_dirs(pids: list[int]) -> Iterator[str]:
    """/proc/PID/task/TID of every thread of these processes (those gone meanwhile skipped)."""
    for pid in pids:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        yield from (f"/proc/{pid}/task/{tid}" for tid in tids)


def thread_states(pids: list[int]) -> Iterator[bytes]:
    """The state letter (b"R", b"S", b"D", b"Z", ...) of every thread of these processes, from its
    /proc stat (world-readable); threads gone meanwhile are skipped."""
    for base in thread_dirs(pids):
        try:
            raw = Path(f"{base}/stat").read_bytes()
        except OSError:
            continue
        end = raw.rfind(b")")  # the command name in parentheses may itself hold spaces and ")"
        yield raw[end + 2:end + 3]


def all_asleep(pids: list[int]) -> bool:
    """Every thread of these processes sleeps (state S) or is dead (an unreaped child): none is
    running or about to run. False when there is no thread to see."""
    seen = False
    for state in thread_states(pids):
        seen = True
        if state not in (b"S", b"Z", b"X"):  # a dead thread runs no more
            return False
    return seen


def any_running(pids: list[int]) -> bool:
    """Some thread of these processes is running or ready to run (state R)."""
    return b"R" in thread_states(pids)


def asleep_steadily(pids: list[int], looks: int = 3, gap: float = 0.005) -> bool:
    """all_asleep on each of `looks` looks `gap` s apart (one look can catch a thread between two runs)."""
    for i in range(looks):
        if i:
            time.sleep(gap)  # poll: the gap between looks, not a wait for the program
        if not all_asleep(pids):
            return False
    return True


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) of these processes' threads, from schedstat (ns)."""
    total = 0
    for base in thread_dirs(pids):
        try:
            total += int(Path(f"{base}/schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return total / 1e9


# ---- additions for concurrency labs (select_echo and friends) ----------------

# Blocked here, the program is stuck on one client's socket (or file).
BLOCKED_ON_ONE_CLIENT = frozenset({"read", "recvfrom", "recvmsg", "write", "sendto", "sendmsg"})


def accept_queue_len(port: int) -> int | None:
    """Connections the kernel completed on `port` that no accept() has taken yet.

    That is the LISTEN row's rx_queue in /proc/net/tcp{,6} (summed, for a program
    that listens on both). None when nothing listens on the port.
    """
    rows = procfs.socket_rows(local_port=port, states=("LISTEN",))
    return sum(r.rx_queue for r in rows) if rows else None


def blocked_in_samples(pid: int, samples: int = 5, interval: float = 0.01) -> list[str | None]:
    """Several point samples of blocked_in, `interval` seconds apart (a measurement window)."""
    out: list[str | None] = []
    for i in range(samples):
        if i:
            time.sleep(interval)  # poll: spacing between samples, not a wait for the program
        out.append(blocked_in(pid))
    return out


def describe_samples(samples: list[str | None]) -> str:
    """'pselect6 x4, running x1' (None counts as 'unreadable')."""
    seen = Counter(s or "unreadable" for s in samples)
    return ", ".join(f"{name} x{n}" for name, n in seen.most_common())


def fd_count(pid: int) -> int | None:
    fds = open_fds(pid)
    return None if fds is None else len(fds)


def fd_kinds(pid: int) -> Counter[str]:
    """What the open descriptors are: socket, pipe, eventpoll, file, ..."""
    kinds: Counter[str] = Counter()
    for fd in open_fds(pid) or []:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:"):
            kinds["socket"] += 1
        elif target.startswith("pipe:"):
            kinds["pipe"] += 1
        elif target.startswith("anon_inode:"):
            kinds[target[len("anon_inode:"):].strip("[]")] += 1
        else:
            kinds["file"] += 1
    return kinds


def socket_states(pid: int) -> Counter[str]:
    """TCP states of the sockets this process holds (LISTEN, ESTABLISHED, CLOSE_WAIT, ...).

    A socket whose peer has closed while the program still holds it shows as
    CLOSE_WAIT; one the kernel no longer lists in /proc/net/tcp (fully closed
    by both sides, yet still open in the program) shows as 'CLOSE'.
    """
    by_inode = {r.inode: r.state for r in procfs.socket_rows()}
    states: Counter[str] = Counter()
    for inode in socket_fds(pid).values():
        states[by_inode.get(inode, "CLOSE")] += 1
    return states


def blocked_in_threads(pids: list[int]) -> list[str | None]:
    """blocked_in for every thread of these processes (one point sample each)."""
    out: list[str | None] = []
    for pid in pids:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        out.extend(blocked_in(pid, int(tid)) for tid in tids)
    return out


def blocked_call(pid: int, tid: int | None = None) -> tuple[str, list[int]] | None:
    """(system call name, its six arguments) the thread is blocked in; None if running or unreadable."""
    path = f"/proc/{pid}/task/{tid}/syscall" if tid else f"/proc/{pid}/syscall"
    try:
        fields = Path(path).read_text().split()
        nr = int(fields[0])
        args = [int(a, 16) for a in fields[1:7]]
    except (OSError, ValueError, IndexError):
        return None
    return _SYSCALLS.get(nr, f"syscall {nr}"), args


def stuck_on_socket(pid: int) -> tuple[str, int, int] | None:
    """(syscall, fd, peer port) when the main thread sleeps in a receive or send on one
    connected TCP socket (the first argument of read/recvfrom/write/sendto/... is the fd)."""
    call = blocked_call(pid)
    if call is None or call[0] not in BLOCKED_ON_ONE_CLIENT:
        return None
    name, args = call
    fd = args[0]
    inode = socket_fds(pid).get(fd)
    if inode is None:
        return None  # a file or pipe (e.g. print() to a slow stdout), not a client
    for r in procfs.socket_rows():
        if r.inode == inode and r.state != "LISTEN":
            return name, fd, r.remote_port
    return name, fd, 0
