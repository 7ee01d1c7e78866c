"""Reading kernel state from /proc: sockets, queues and process trees.

Rule: everything here is a read-only snapshot; callers poll it with a
deadline (harness.waiting). Unreadable entries (a process that just exited,
a foreign uid) are skipped, never raised.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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


def _net_dir() -> Path:
    # thread-self: the network namespace of the calling thread, which is the
    # one the runner switched into for this check.
    p = Path("/proc/thread-self/net")
    return p if p.exists() else Path("/proc/net")


def socket_rows(protos: tuple[str, ...] = ("tcp", "tcp6")) -> list[SocketRow]:
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
            ))
    return rows


def states_on_port(port: int) -> set[str]:
    return {r.state for r in socket_rows() if r.local_port == port}


def connection(local_port: int, remote_port: int) -> SocketRow | None:
    for r in socket_rows():
        if r.local_port == local_port and r.remote_port == remote_port and r.state != "LISTEN":
            return r
    return None


def socket_inodes(pid: int) -> set[int]:
    found: set[int] = set()
    try:
        entries = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return found
    for fd in entries:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            found.add(int(target[8:-1]))
    return found


def stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (index 0 = state)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rfind(")") + 2:].split()


def children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            f = stat_fields(int(name))
            if f:
                kids.setdefault(int(f[1]), []).append(int(name))
    return kids


def descendants(pid: int) -> list[int]:
    kids = children_map()
    out: list[int] = []
    todo = list(kids.get(pid, []))
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
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
