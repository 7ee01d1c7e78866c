"""Exact socket look-ups from the kernel (NETLINK_SOCK_DIAG, `ss`'s interface).

Rule: this module answers the same question as reading /proc/net/{tcp,udp}{,6}
(harness.procfs) and gives the same rows, but the kernel filters them (by
state and port) before it sends them. /proc/net/tcp walks the whole TCP hash
table of the namespace, which in Docker is the host's (262,144 buckets: 3.3 ms
a read against 0.14 ms); a filtered dump visits only the sockets asked for.
Where the kernel or a sandbox refuses netlink (an old kernel without port
filters, gVisor, udp_diag not loaded), `query` returns None and the caller
reads /proc instead. Nothing here ever raises for a refusal.

Row semantics follow /proc (checked against the kernel's tcp_diag/udp_diag and
get_tcp4_sock): rx_queue is the accept-queue length for a LISTEN socket and the
unread bytes otherwise; tx_queue is the unacknowledged bytes (0 for LISTEN,
where inet_diag would report the backlog instead); TIME_WAIT and SYN_RECV
entries have inode 0.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import struct
from typing import Any

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
INET_DIAG_REQ_BYTECODE = 1
INET_DIAG_BC_S_EQ, INET_DIAG_BC_D_EQ = 11, 12  # Linux >= 4.15

TCP_STATE_NUMBERS = {
    "ESTABLISHED": 1, "SYN_SENT": 2, "SYN_RECV": 3, "FIN_WAIT1": 4, "FIN_WAIT2": 5, "TIME_WAIT": 6,
    "CLOSE": 7, "CLOSE_WAIT": 8, "LAST_ACK": 9, "LISTEN": 10, "CLOSING": 11,
}
TCP_STATE_NAMES = {n: name for name, n in TCP_STATE_NUMBERS.items()}
ALL_STATES = 0xFFFFFFFF

_HEADER = struct.Struct("=IHHII")  # nlmsghdr: len, type, flags, seq, pid
_REQUEST = struct.Struct("=BBBBIHH16s16sI8s")  # inet_diag_req_v2 with its inet_diag_sockid
_MESSAGE = struct.Struct("=BBBBHH16s16sI8sIIIII")  # inet_diag_msg (its ports are big-endian)
_PROTOS = {"tcp": (socket.AF_INET, socket.IPPROTO_TCP), "tcp6": (socket.AF_INET6, socket.IPPROTO_TCP),
           "udp": (socket.AF_INET, socket.IPPROTO_UDP), "udp6": (socket.AF_INET6, socket.IPPROTO_UDP)}

# Set once netlink has been refused in this process: later look-ups go straight to /proc.
_refused: set[str] = set()


def _bytecode(local_port: int | None, remote_port: int | None) -> bytes:
    """A filter program: each test is two 4-byte ops (code, yes, no) + (port in `no`).

    yes jumps to the next test; no jumps past the end (+4), which rejects the socket.
    """
    tests = [(INET_DIAG_BC_S_EQ, local_port), (INET_DIAG_BC_D_EQ, remote_port)]
    tests = [(code, port) for code, port in tests if port is not None]
    total = 8 * len(tests)
    out = b""
    for i, (code, port) in enumerate(tests):
        left = total - 8 * i
        out += struct.pack("=BBH", code, 8, left + 4) + struct.pack("=BBH", 0, 0, port)
    return out


def _request(family: int, proto: int, states: int, local_port: int | None, remote_port: int | None) -> bytes:
    body = _REQUEST.pack(family, proto, 0, 0, states, 0, 0, b"", b"", 0, b"")
    code = _bytecode(local_port, remote_port)
    if code:
        body += struct.pack("=HH", 4 + len(code), INET_DIAG_REQ_BYTECODE) + code
    return _HEADER.pack(_HEADER.size + len(body), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, 1, 0) + body


def _address(family: int, raw: bytes) -> str:
    return str(ipaddress.ip_address(raw[:4] if family == socket.AF_INET else raw))


def _dump(proto: str, states: int, local_port: int | None, remote_port: int | None) -> list[tuple[Any, ...]] | None:
    family, ipproto = _PROTOS[proto]
    try:
        # A socket per look-up: a netlink socket answers for the network namespace it was
        # made in, and the runner moves to a fresh namespace before every check.
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC, NETLINK_SOCK_DIAG)
    except OSError:
        return None
    rows: list[tuple[Any, ...]] = []
    try:
        sock.send(_request(family, ipproto, states, local_port, remote_port))
        while True:
            data = sock.recv(1 << 16)
            offset = 0
            while offset + _HEADER.size <= len(data):
                length, kind, _, _, _ = _HEADER.unpack_from(data, offset)
                if kind == NLMSG_DONE:
                    return rows
                if kind == NLMSG_ERROR or length < _HEADER.size:
                    return None  # EINVAL (no port filters), ENOENT (no udp_diag), EPERM
                if kind == SOCK_DIAG_BY_FAMILY:
                    rows.append(_MESSAGE.unpack_from(data, offset + _HEADER.size))
                offset += (length + 3) & ~3
            if not data:
                return None
    except OSError:
        return None
    finally:
        sock.close()


def query(protos: tuple[str, ...], *, states: tuple[str, ...] | None = None, local_port: int | None = None,
          remote_port: int | None = None) -> list[tuple[Any, ...]] | None:
    """(proto, local_port, remote_port, state, tx_queue, rx_queue, inode, local_addr, remote_addr) rows,
    or None where netlink is refused (then read /proc)."""
    if "all" in _refused:
        return None
    # TCP states by name, UDP's as /proc prints them ("07": bound, unconnected)
    mask = ALL_STATES if states is None else sum(1 << (TCP_STATE_NUMBERS.get(s) or int(s, 16)) for s in states)
    out: list[tuple[Any, ...]] = []
    for proto in protos:
        if proto in _refused:
            return None
        got = _dump(proto, mask, local_port, remote_port)
        if got is None:
            _refused.add(proto)
            return None
        tcp = proto.startswith("tcp")
        for family, state, _t, _r, sport, dport, src, dst, _if, _c, _e, rq, wq, _uid, inode in got:
            name = TCP_STATE_NAMES.get(state, f"{state:02X}") if tcp else f"{state:02X}"
            tx = 0 if name == "LISTEN" else wq  # /proc's tx_queue; for a listener inet_diag reports the backlog here
            out.append((proto, socket.ntohs(sport), socket.ntohs(dport), name, tx, rq, inode,
                        _address(family, src), _address(family, dst)))
    return out


INET_DIAG_NOCOOKIE = b"\xff" * 8
_MAPPED = bytes(10) + b"\xff\xff"  # ::ffff:a.b.c.d


def exact(local_addr: str, local_port: int, remote_addr: str, remote_port: int) -> tuple[Any, ...] | bool | None:
    """The TCP socket with exactly this local and remote end, by the kernel's hash look-up
    (inet_diag_find_one_icsk): O(1), where a dump walks the namespace's whole table (5.7 ms in
    Docker, whose containers share the host's 262,144 buckets). IPv4 ends are also looked for
    as v4-mapped IPv6 (a server listening on '::'). A row as query() gives it; None when there
    is no such socket; False where netlink refuses (then ask query())."""
    if "all" in _refused or "tcp" in _refused:
        return False
    local, remote = ipaddress.ip_address(local_addr), ipaddress.ip_address(remote_addr)
    tries = [("tcp", local.packed, remote.packed)] if local.version == 4 else []
    tries.append(("tcp6", _MAPPED + local.packed if local.version == 4 else local.packed,
                  _MAPPED + remote.packed if remote.version == 4 else remote.packed))
    for proto, src, dst in tries:
        family, ipproto = _PROTOS[proto]
        body = _REQUEST.pack(family, ipproto, 0, 0, ALL_STATES, socket.htons(local_port), socket.htons(remote_port),
                             src.ljust(16, b"\0"), dst.ljust(16, b"\0"), 0, INET_DIAG_NOCOOKIE)
        message = _HEADER.pack(_HEADER.size + len(body), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST, 1, 0) + body
        try:
            sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC, NETLINK_SOCK_DIAG)
        except OSError:
            return False
        try:
            sock.send(message)
            data = sock.recv(1 << 16)
        except OSError:
            return False
        finally:
            sock.close()
        if len(data) < _HEADER.size:
            return False
        _, kind, _, _, _ = _HEADER.unpack_from(data)
        if kind == NLMSG_ERROR:
            (error,) = struct.unpack_from("=i", data, _HEADER.size)
            if error == -2:  # ENOENT: no such socket in this family
                continue
            return False
        if kind != SOCK_DIAG_BY_FAMILY:
            return False
        fam, state, _t, _r, sport, dport, src_b, dst_b, _if, _c, _e, rq, wq, _uid, inode = \
            _MESSAGE.unpack_from(data, _HEADER.size)
        name = TCP_STATE_NAMES.get(state, f"{state:02X}")
        if name == "LISTEN" or socket.ntohs(dport) != remote_port or socket.ntohs(sport) != local_port:
            continue  # the look-up falls back to the port's listener: that is not the connection
        found = "tcp6" if fam == socket.AF_INET6 else "tcp"  # a v4 look-up also finds a dual-stack socket
        return (found, local_port, remote_port, name, wq, rq, inode, _address(fam, src_b), _address(fam, dst_b))
    return None


def disable() -> None:
    """Read /proc from now on (tests compare the two; GRADER_SOCK_DIAG=0 sets it at import)."""
    _refused.add("all")


if os.environ.get("GRADER_SOCK_DIAG") == "0":
    disable()
