"""Socket state left on the lab's port by one check, found in /proc/net/tcp and removed.

Rule: where a sandbox cannot give each check a fresh network namespace (Docker,
whose runner has no CAP_SYS_ADMIN; the no-namespace fallback; the Gradescope
autograder), every check still starts with *nothing* on the lab's port, so a
correct program without SO_REUSEADDR never fails because an earlier start (of
this run, or of the previous submission in the same container) left state
behind (labs.md, shared rules). If the port cannot be made clean, that is our
failure: HarnessError, an `error` outcome, never the student's zero.

Every source of such state, and where it is removed (harness.session.LabSession.teardown
runs these in this order; `ensure_clean` runs again before the next check):

  harness client still connected    a Conversation, or a raw socket a probe made
  (ESTABLISHED/CLOSE_WAIT here,     (found by `abort_harness_sockets`): aborted with
  FIN_WAIT*/CLOSING on the port)    RST *before* the program is stopped. A RST takes
                                    the server's end with it whatever its state
                                    (ESTABLISHED, FIN_WAIT1 with unsent data for a
                                    client that stopped reading, FIN_WAIT2).
  TIME_WAIT on the port             the server closed first and the harness's FIN
                                    followed (a server that closes each connection;
                                    a check that shuts down after the echo; the
                                    deliberate traps of reuse_addr and line_counter).
                                    No close order of ours can avoid it when the
                                    student's program closes first, so it is removed
                                    after the fact: `_assassinate` (below).
  LISTEN / ESTABLISHED held by a    killed by the containment (PID namespace, or the
  process that outlived the check   student's uid in Docker). In the process-group
                                    fallback a program that left its group (setsid,
                                    double fork) is found by the socket it holds
                                    (`_orphans`) and killed.
  LAST_ACK, SYN_RECV, FIN_WAIT1     end within milliseconds on loopback once the
  with nothing queued               peer is gone: waited for, with a deadline.

TIME_WAIT removal (RFC 1337's "TIME-WAIT assassination", which Linux does while
net.ipv4.tcp_rfc1337 is 0, its default): a SYN from the connection's own peer
address and port reaches the TIME_WAIT socket; with no listener on the port it
answers with an ACK for its old sequence numbers; our connecting socket, in
SYN_SENT, finds that ACK unacceptable and answers with a RST whose sequence
number is exactly what the TIME_WAIT socket expects, and the kernel drops the
TIME_WAIT socket (tcp_timewait_state_process, net/ipv4/tcp_minisocks.c).
Measured on Linux 6.18: the row is gone within 15 ms. Only loopback addresses
are ever connected to, and only while nothing listens on the port (with a
listener the SYN would open a connection to it).

The peer's port may be held by a TIME_WAIT of our own client (it closed first
on an earlier connection from the same ephemeral port, say to 127.0.0.7:8888;
connect() reuses a port for a new destination). A TIME_WAIT of a socket without
SO_REUSEADDR blocks bind() to its address even with SO_REUSEADDR, so that
blocker is assassinated first, from the lab port it was connected to, and the
row is tried again (found in the fallback: 3 of 663 time_service runs ended in
`error` after 3 s; tests/integration/test_leftovers.py makes it certain with a
one-port ephemeral range). An attempt that has not removed its row within
RETRY is made again with a fresh SYN: the TIME_WAIT may not answer one (it
rate-limits out-of-window ACKs, net.ipv4.tcp_invalid_ratelimit).
"""

from __future__ import annotations

import contextlib
import gc
import ipaddress
import os
import signal
import socket
import struct
import time
from dataclasses import dataclass

from harness import procfs
from harness.outcomes import HarnessError
from harness.waiting import poll

CLEAN_TIMEOUT = 3.0  # seconds: loopback leftovers end in milliseconds; only a stuck one reaches it
RETRY = 0.5  # seconds an assassination may take before it is made again (the kernel's own SYN retry: 1 s)
_LINGER_ABORT = struct.pack("ii", 1, 0)


@dataclass(frozen=True, slots=True)
class Leftover:
    """One socket on the lab's port, as /proc/net/tcp{,6} shows it."""

    state: str
    local: str  # address:port
    remote: str

    def __str__(self) -> str:
        return f"{self.state} {self.local} <- {self.remote}"


def on_port(port: int) -> list[procfs.SocketRow]:
    """Every TCP socket whose local port is `port` (only these can make a bind() fail)."""
    return [] if port_free(port) else procfs.socket_rows(local_port=port)


def port_free(port: int) -> bool:
    """No TCP socket of any state has `port` as its local port, proved by binding it (without
    SO_REUSEADDR, on the IPv4 and the dual-stack IPv6 wildcard) and closing at once, which leaves
    nothing behind: every TCP socket with a local port, TIME_WAIT included, is in the kernel's bind
    table, which a bind consults in O(1). Listing them instead walks the namespace's whole TCP table
    (in Docker the host's: 5.7 ms a look). False proves nothing (list them then)."""
    for family, address in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        try:
            probe = socket.socket(family, socket.SOCK_STREAM)
        except OSError:
            continue  # no IPv6 here: nothing can be bound to it either
        try:
            if family == socket.AF_INET6:
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            probe.bind((address, port))
        except OSError:
            return False
        finally:
            probe.close()
    return True


def describe(rows: list[procfs.SocketRow]) -> list[Leftover]:
    return [Leftover(r.state, f"{r.local_addr}:{r.local_port}", f"{r.remote_addr}:{r.remote_port}") for r in rows]


# ---------------------------------------------------------------- harness sockets

def abort_harness_sockets(port: int, *, clients_only: bool) -> int:
    """Abort (RST) every socket of this process connected to `port` (or, unless
    clients_only, bound to it); returns how many.

    Probes sometimes make raw sockets outside a Conversation; a check that
    failed keeps them alive in its traceback. Closing them gracefully after
    the server has closed would leave TIME_WAIT on the port, so they are
    aborted like every Conversation. clients_only spares the listening and
    accepted sockets of fake servers, whose threads still use them until the
    fakes are stopped.
    """
    if not _own_socket_touches(port, clients_only):
        return 0  # the usual case, proved cheaply: walking every object takes 30-100 ms
    count = 0
    for obj in gc.get_objects():
        if not isinstance(obj, socket.socket) or obj.fileno() < 0 or obj.type != socket.SOCK_STREAM:
            continue
        if _touches(obj, port, clients_only):
            abort(obj)
            count += 1
    return count


def _own_socket_touches(port: int, clients_only: bool) -> bool:
    """Whether a TCP socket of this process is connected to `port` (or bound to it, unless clients_only):
    each of our socket descriptors asked through a duplicate (closing that leaves the socket open)."""
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return True  # unknown: look at every object
    for name in fds:
        try:
            if not os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                continue
            dup = socket.socket(fileno=os.dup(int(name)))
        except OSError:
            continue
        try:
            if dup.family in (socket.AF_INET, socket.AF_INET6) and dup.type == socket.SOCK_STREAM \
                    and _touches(dup, port, clients_only):
                return True
        finally:
            dup.close()
    return False


def _touches(sock: socket.socket, port: int, clients_only: bool) -> bool:
    try:
        if sock.getpeername()[1] == port:
            return True
    except OSError:
        pass  # not connected
    if clients_only:
        return False
    try:
        return bool(sock.getsockname()[1] == port)
    except OSError:
        return False


def abort(sock: socket.socket) -> None:
    """Close with RST (SO_LINGER 0): no TIME_WAIT or FIN_WAIT on either end."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_ABORT)
    sock.close()


# ---------------------------------------------------------------- TIME_WAIT

def _loopback(addr: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    ip = ipaddress.ip_address(addr)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # a dual-stack listener's IPv4 connection: IPv4 on the wire
    return ip if ip.is_loopback else None


def _assassinate(row: procfs.SocketRow) -> socket.socket | None:
    """Start removing one TIME_WAIT row (see the module docstring); the socket to close once it is gone."""
    local, remote = _loopback(row.local_addr), _loopback(row.remote_addr)
    if local is None or remote is None or local.version != remote.version:
        return None
    family = socket.AF_INET if local.version == 4 else socket.AF_INET6
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((str(remote), row.remote_port))
        sock.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            sock.connect((str(local), row.local_port))
    except OSError:
        abort(sock)  # the peer's port is taken again: the row then just ages out
        return None
    return sock


# ---------------------------------------------------------------- orphans

def _orphans(rows: list[procfs.SocketRow], since: float) -> list[int]:
    """Processes of our uid, started at or after `since` (CLOCK_MONOTONIC, s), holding one of the rows.

    Only the process-group fallback needs this: there a program that called
    setsid() or double-forked is no longer in the group the launcher kills.
    Our own process is never one of them.
    """
    inodes = {r.inode for r in rows if r.inode}
    if not inodes:
        return []
    found = []
    for pid in procfs.pids_of_uid(os.getuid()):
        if pid != os.getpid() and _started_at(pid) >= since and procfs.socket_inodes(pid) & inodes:
            found.append(pid)
    return found


def _started_at(pid: int) -> float:
    fields = procfs.stat_fields(pid)
    if not fields:
        return -1.0
    return int(fields[19]) / os.sysconf("SC_CLK_TCK")  # starttime: clock ticks since boot (CLOCK_BOOTTIME)


# ---------------------------------------------------------------- the whole job

def clear(port: int, *, since: float | None = None, timeout: float = CLEAN_TIMEOUT) -> list[Leftover]:
    """Remove what is left on `port`; return what could not be removed ([] = clean).

    since: when the check started (`now()`); processes of our uid started after
    it that still hold the port are killed. None: kill nothing.
    """
    attempts: dict[_Key, tuple[float, socket.socket]] = {}  # TIME_WAIT row -> when, and its connecting socket
    killed: set[int] = set()
    last: list[procfs.SocketRow] = []

    def clean() -> bool:
        rows = last[:] = on_port(port)
        waiting = [] if any(r.state == "LISTEN" for r in rows) else [r for r in rows if r.state == "TIME_WAIT"]
        targets = {_key(r): r for r in waiting}
        for row in waiting:
            if not _start(row, attempts):
                for blocker in _blockers(row):
                    targets[_key(blocker)] = blocker
                    _start(blocker, attempts)
        _finish(attempts, targets)
        if since is not None:
            for pid in set(_orphans([r for r in rows if r.state != "TIME_WAIT"], since)) - killed:
                killed.add(pid)
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        return not rows

    try:
        if poll(clean, timeout):
            _proved_clean.add(port)
            return []
    finally:
        _finish(attempts, {})
    return describe(last)


_Key = tuple[str, int, str, int]


def _key(row: procfs.SocketRow) -> _Key:
    return row.local_addr, row.local_port, row.remote_addr, row.remote_port


def _start(row: procfs.SocketRow, attempts: dict[_Key, tuple[float, socket.socket]]) -> bool:
    """An assassination of `row` is under way (started now, or less than RETRY ago); False if its
    peer's address cannot be bound."""
    key = _key(row)
    if key in attempts:
        if time.monotonic() - attempts[key][0] < RETRY:
            return True
        abort(attempts.pop(key)[1])
    sock = _assassinate(row)
    if sock is None:
        return False
    attempts[key] = (time.monotonic(), sock)
    return True


def _blockers(row: procfs.SocketRow) -> list[procfs.SocketRow]:
    """The TIME_WAIT rows that hold the address of `row`'s peer (see the module docstring)."""
    peer = _loopback(row.remote_addr)  # as the address it is bound to (a dual-stack row shows ::ffff:127.0.0.1)
    return [r for r in procfs.socket_rows(local_port=row.remote_port, states=("TIME_WAIT",))
            if peer is not None and _loopback(r.local_addr) == peer and _key(r) != _key(row)]


def _finish(attempts: dict[_Key, tuple[float, socket.socket]], targets: dict[_Key, procfs.SocketRow]) -> None:
    """Close the attempts whose row is gone: one made from the lab port (on a blocker) is itself a
    socket on the port until then."""
    for key in [key for key in attempts if key not in targets]:
        abort(attempts.pop(key)[1])


# Ports that the last teardown left clean. Nothing runs between one check's teardown
# and the next check's start, so the next `ensure_clean` need not read /proc/net/tcp
# again: in a namespace that shares the machine's TCP hash table (Docker) each read
# walks all of it, 10-60 ms on this 2-core machine under load.
_proved_clean: set[int] = set()


def ensure_clean(port: int, timeout: float = CLEAN_TIMEOUT) -> None:
    """Before a check in a shared network namespace: the port is clean, or HarnessError."""
    if port in _proved_clean:
        _proved_clean.discard(port)
        return
    left = clear(port, timeout=timeout)
    _proved_clean.discard(port)
    if left:
        raise HarnessError(
            f"port {port} is not free before this check: {'; '.join(map(str, left[:5]))}"
            f"{' ...' if len(left) > 5 else ''}. There is no private network namespace here, and this is not "
            "your program's doing (another program on this machine may hold the port): the check did not run.")


def now() -> float:
    """The clock /proc/<pid>/stat's start times count on (CLOCK_BOOTTIME), less one clock tick."""
    return time.clock_gettime(time.CLOCK_BOOTTIME) - 1.0 / os.sysconf("SC_CLK_TCK")
