"""Reading kernel state from /proc: sockets, queues and process trees.

Rule: everything here is a read-only snapshot; callers poll it with a
deadline (harness.waiting). Unreadable entries (a process that just exited,
a foreign uid) are skipped, never raised.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from harness import sockdiag

TCP_STATES = {
    "01": "ESTABLISHED", "02": "SYN_SENT", "03": "SYN_RECV", "04": "FIN_WAIT1",
    "05": "FIN_WAIT2", "06": "TIME_WAIT", "07": "CLOSE", "08": "CLOSE_WAIT",
    "09": "LAST_ACK", "0A": "LISTEN", "0B": "CLOSING",
}


@dataclass(frozen=True, slots=True)
class SocketRow:
    proto: str  # tcp, tcp6, udp, udp6
    local_port: int
    remote_port: int
    state: str
    tx_queue: int
    rx_queue: int  # for LISTEN rows: the accept-queue length
    inode: int
    local_addr: str = ""  # e.g. 127.0.0.1, ::1, ::ffff:127.0.0.1 (as /proc/net/tcp6 shows v4-mapped peers)
    remote_addr: str = ""


def address(hex_addr: str) -> str:
    """The address of a /proc/net/{tcp,tcp6} field ('0100007F', 32 hex digits for IPv6).

    The kernel prints each 32-bit word in host byte order (little-endian here).
    """
    raw = bytes.fromhex(hex_addr)
    raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    return str(ipaddress.ip_address(raw))


def _net_dir() -> Path:
    # thread-self: the network namespace of the calling thread, which is the
    # one the runner switched into for this check.
    p = Path("/proc/thread-self/net")
    return p if p.exists() else Path("/proc/net")


def socket_rows(protos: tuple[str, ...] = ("tcp", "tcp6"), *, local_port: int | None = None,
                remote_port: int | None = None, states: tuple[str, ...] | None = None) -> list[SocketRow]:
    """The sockets of these protocols in our network namespace, filtered by port and state.

    Asked of the kernel by netlink (harness.sockdiag: only the matching sockets are
    visited), else read from /proc/net and filtered here: the same rows either way.
    """
    found = sockdiag.query(protos, states=states, local_port=local_port, remote_port=remote_port)
    if found is not None:
        return [SocketRow(*row) for row in found]
    return [r for r in proc_socket_rows(protos) if (local_port is None or r.local_port == local_port)
            and (remote_port is None or r.remote_port == remote_port) and (states is None or r.state in states)]


def proc_socket_rows(protos: tuple[str, ...] = ("tcp", "tcp6")) -> list[SocketRow]:
    """Every row of /proc/net/{proto} (the whole hash table of the namespace is walked)."""
    rows: list[SocketRow] = []
    base = _net_dir()
    for proto in protos:
        try:
            lines = (base / proto).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if len(f) < 10:
                continue
            tx, rx = f[4].split(":")
            state = TCP_STATES.get(f[3], f[3]) if proto.startswith("tcp") else f[3]
            rows.append(SocketRow(
                proto=proto,
                local_port=int(f[1].rsplit(":", 1)[1], 16),
                remote_port=int(f[2].rsplit(":", 1)[1], 16),
                state=state, tx_queue=int(tx, 16), rx_queue=int(rx, 16), inode=int(f[9]),
                local_addr=address(f[1].rsplit(":", 1)[0]), remote_addr=address(f[2].rsplit(":", 1)[0]),
            ))
    return rows


def states_on_port(port: int) -> set[str]:
    from harness.leftovers import port_free  # (leftovers imports this module)

    return set() if port_free(port) else {r.state for r in socket_rows(local_port=port)}


def connection(local_port: int, remote_port: int, local_addr: str | None = None,
               remote_addr: str | None = None) -> SocketRow | None:
    """The TCP connection (any state but LISTEN) between these ports. Given both addresses, one exact
    look-up (harness.sockdiag.exact: it does not walk the namespace's table); else a filtered one."""
    if local_addr is not None and remote_addr is not None:
        found = sockdiag.exact(local_addr, local_port, remote_addr, remote_port)
        if found is not False:
            return SocketRow(*found) if found else None  # type: ignore[misc]
    for r in socket_rows(local_port=local_port, remote_port=remote_port):
        if r.state != "LISTEN":
            return r
    return None


def socket_inodes(pid: int) -> set[int]:
    return socket_inodes_seen(pid) or set()


def socket_inodes_seen(pid: int) -> set[int] | None:
    """Inodes of the sockets pid holds; None when its fd table is unreadable (gone, or no ptrace rights)."""
    found: set[int] = set()
    try:
        entries = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return None
    for fd in entries:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            found.add(int(target[8:-1]))
    return found


def _read_stat(pid: int | str) -> bytes | None:
    # os.open/os.read: a third of what pathlib's read_text costs, and children_map reads
    # one of these for every process of the machine (or container) at every look.
    try:
        fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        return os.read(fd, 4096)
    except OSError:
        return None
    finally:
        os.close(fd)


def stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (index 0 = state)."""
    raw = _read_stat(pid)
    if not raw:
        return None
    return raw[raw.rfind(b")") + 2:].decode("ascii", "replace").split()


def children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            raw = _read_stat(name)
            if raw:
                # the fields after the command name: state, ppid, ...
                ppid = int(raw[raw.rfind(b")") + 2:].split(None, 2)[1])
                kids.setdefault(ppid, []).append(int(name))
    return kids


def children(pid: int) -> list[int] | None:
    """The children of pid, from its threads' /proc/PID/task/TID/children (a fork is listed under the
    thread that made it): a few reads where children_map reads every process of the machine (1.6 ms
    with 100 processes, and the harness asks at every readiness poll). None where the kernel has no
    such file (CONFIG_PROC_CHILDREN); [] for a process that is gone."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    found: list[int] = []
    for tid in tids:
        try:
            fd = os.open(f"/proc/{pid}/task/{tid}/children", os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            if not os.path.exists(f"/proc/{pid}/task/{tid}"):
                continue  # the thread ended meanwhile
            return None
        except OSError:
            continue
        try:
            found += [int(p) for p in os.read(fd, 65536).split()]
        except OSError:
            continue
        finally:
            os.close(fd)
    return found


def children_of(pid: int) -> list[int]:
    """children(), or one scan of /proc where the kernel has no children files."""
    found = children(pid)
    return children_map().get(pid, []) if found is None else found


def descendants(pid: int, kids: dict[int, list[int]] | None = None) -> list[int]:
    """Every process below pid, parents before their children (kids: a children_map already taken)."""
    out: list[int] = []
    todo = [pid]
    while todo:
        below = children(todo.pop(0)) if kids is None else kids.get(todo.pop(0), [])
        if below is None:  # no children files on this kernel: one scan of /proc
            return descendants(pid, children_map())
        out += below
        todo += below
    return out


def pids_of_uid(uid: int) -> list[int]:
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.stat(f"/proc/{name}").st_uid == uid:
                    out.append(int(name))
            except OSError:
                continue
    return out
