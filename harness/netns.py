"""The runner's own network namespace (local sandbox on Linux).

The runner moves itself into a fresh user + network namespace at start-up
(loopback only, brought up here), and into another fresh network namespace
before each check, so no socket state of one check (TIME_WAIT, a surviving
listener) can reach the next. Student programs started by the check inherit
that namespace: the handout's `localhost` is ours alone.

Where namespaces are unavailable (macOS, a kernel that forbids unprivileged
user namespaces, a container without CAP_SYS_ADMIN) the runner stays on the
normal loopback and says so.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import socket
import struct
import sys

CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1

# CDLL(None): the libc already loaded into this process. ctypes.util.find_library("c") runs
# `ldconfig -p` (and imports shutil and subprocess): ~15 ms of every runner's start.
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def _unshare(flags: int) -> None:
    if _libc is None:
        raise OSError("namespaces need Linux")
    if _libc.unshare(flags) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


OUTSIDE_UID: int | None = None  # our uid before enter_private_namespaces (the sandbox needs it)


def enter_private_namespaces() -> None:
    """Become root of a new user namespace (if not root already) with a new network namespace."""
    global OUTSIDE_UID  # noqa: PLW0603 - the uid we were before the user namespace, known only here
    uid, gid = os.getuid(), os.getgid()
    OUTSIDE_UID = uid
    if uid == 0:
        _unshare(CLONE_NEWNET)
    else:
        _unshare(CLONE_NEWUSER | CLONE_NEWNET)
        with open("/proc/self/setgroups", "w") as f:
            f.write("deny")
        with open("/proc/self/uid_map", "w") as f:
            f.write(f"0 {uid} 1")
        with open("/proc/self/gid_map", "w") as f:
            f.write(f"0 {gid} 1")
    loopback_up()
    _small_tcp_hash_for_children()


# Every namespace that shares the machine's TCP hash table pays for all of it:
# reading /proc/net/tcp walks every bucket (262,144 on a 24 GiB machine: 20 ms a
# read, against 0.2 ms with 1,024), and the harness polls that file while it
# waits for a listener and gates bytes. Linux >= 6.1 lets the namespaces made
# from this one have a table of their own (each per-check namespace is made
# from the previous one, so each passes the setting on). The kernel scales two
# limits down with the table's size; the per-check namespaces get the machine's
# values back, so only the speed changes.
CHILD_EHASH_ENTRIES = "1024"
_MACHINE_LIMITS = ("net.ipv4.tcp_max_tw_buckets", "net.ipv4.tcp_max_syn_backlog")
_restore: dict[str, str] = {}


def _small_tcp_hash_for_children() -> None:
    limits = {name: get_sysctl(name) for name in _MACHINE_LIMITS}
    if None in limits.values() or not set_sysctl("net.ipv4.tcp_child_ehash_entries", CHILD_EHASH_ENTRIES):
        return  # an older kernel: everything works, only slower
    _restore.update(limits)  # type: ignore[arg-type]
    _restore["net.ipv4.tcp_child_ehash_entries"] = CHILD_EHASH_ENTRIES


def fresh_network() -> None:
    """Replace the current network namespace by a new one with loopback up."""
    _unshare(CLONE_NEWNET)
    loopback_up()
    for name, value in _restore.items():
        set_sysctl(name, value)


def loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        req = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(s.fileno(), SIOCGIFFLAGS, req))[1]
        fcntl.ioctl(s.fileno(), SIOCSIFFLAGS, struct.pack("16sH", b"lo", flags | IFF_UP))


def set_sysctl(name: str, value: str) -> bool:
    """Set a per-namespace sysctl such as net.ipv4.tcp_wmem; False if not allowed here."""
    try:
        with open("/proc/sys/" + name.replace(".", "/"), "w") as f:
            f.write(value)
        return True
    except OSError:
        return False


def get_sysctl(name: str) -> str | None:
    try:
        with open("/proc/sys/" + name.replace(".", "/")) as f:
            return f.read().strip()
    except OSError:
        return None


CLONE_NEWNS = 0x00020000
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18


def override_hosts(entries: dict[str, str], scratch: str) -> None:
    """Make host names (pool.ntp.org, quux.org) resolve to our fake servers.

    A private mount namespace with a copy of /etc/hosts bind-mounted over the
    real one: only this runner and the programs it starts see it.
    """
    if _libc is None:
        raise OSError("needs Linux")
    _unshare(CLONE_NEWNS)
    if _libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        raise OSError(ctypes.get_errno(), "cannot make mounts private")
    try:
        original = open("/etc/hosts").read()
    except OSError:
        original = "127.0.0.1 localhost\n"
    path = os.path.join(scratch, "hosts")
    with open(path, "w") as f:
        f.write(original.rstrip("\n") + "\n# added by the grader: handout host names lead to its fake servers\n")
        for name, ip in entries.items():
            f.write(f"{ip} {name}\n")
    os.chmod(path, 0o644)
    if _libc.mount(path.encode(), b"/etc/hosts", None, MS_BIND, None) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"cannot bind-mount /etc/hosts: {os.strerror(err)}")
