"""Proof from /proc that a start of the program will never be ready, and its reuse.

Rule: a check ends early only on proof, never on a guess, and then with the
outcome and message it would have reached itself. When one check's server
does not become ready, the harness looks for proof that it never will:

  exited     it exited before it listened;
  stuck      every thread of every process of it waits in a system call with
             no deadline, on something no one will ever provide (accept() on
             a port nobody connects to, a lock no running thread can release,
             select() with no timeout, a pause()): it cannot go on to listen;
  elsewhere  it listens on another port (or protocol) than the lab's.

The remaining checks of the run that would start the program the same way
(same file, arguments, sysctls, fakes, and the same sockets on the lab's
port) then end at once with that proof (`Proofs`), where the proof covers
their own budget: `exited` if it came well within it, `stuck` always,
`elsewhere` if their budget is no longer than the one that ran out.
GRADER_FAIL_FAST=0 turns the reuse off (every check starts the program), for
the test that shows the shortcut changes no outcome.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from harness import observe, procfs

FAIL_FAST_VAR = "GRADER_FAIL_FAST"
SAMPLES, SAMPLE_GAP = 3, 0.005  # stuck must hold in each of these point samples

# futex commands that wait (FUTEX_CMD_MASK strips the private and clock flags)
_FUTEX_WAITS = {0, 6, 9, 11, 13}  # WAIT, LOCK_PI, WAIT_BITSET, WAIT_REQUEUE_PI, LOCK_PI2
_NO_TIMEOUT_32 = 0xFFFFFFFF  # an int timeout of -1, as the register shows it


def enabled() -> bool:
    return os.environ.get(FAIL_FAST_VAR, "1") != "0"


@dataclass(slots=True, kw_only=True)
class Proof:
    kind: str  # exited | stuck | elsewhere
    after: float  # seconds from the start: when it exited, or the budget that ran out
    check: str  # the check that found it
    message: str  # the failure's message; its budget is harness.readiness.BUDGET
    died_early: str = ""  # the teardown's note on a server that exited (replayed with the message)

    def covers(self, timeout: float) -> bool:
        if self.kind == "exited":
            return self.after <= timeout / 2  # well within: a program this close to its budget is not proof
        return self.kind == "stuck" or timeout <= self.after


@dataclass(slots=True)
class Proofs:
    """The proofs of one run, by how the program was started."""

    found: dict[tuple[object, ...], Proof] = field(default_factory=dict)

    def get(self, key: tuple[object, ...], timeout: float) -> Proof | None:
        proof = self.found.get(key)
        return proof if proof is not None and enabled() and proof.covers(timeout) else None

    def add(self, key: tuple[object, ...], proof: Proof) -> None:
        self.found.setdefault(key, proof)


# ---- looking for it ---------------------------------------------------------

def _fd_target(pid: int, fd: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/fd/{fd}")
    except OSError:
        return ""


def waits_forever(pid: int, name: str, args: list[int]) -> bool:
    """True when this blocked call has no deadline and waits for something no one will send."""
    if name in ("accept", "accept4", "pause", "rt_sigsuspend", "wait4", "waitid"):
        return True  # nothing connects to a port that is not the lab's; children are checked too
    if name == "futex":
        return (args[1] & ~0x180) in _FUTEX_WAITS and args[3] == 0
    if name in ("select", "pselect6"):
        return args[4] == 0
    if name in ("poll", "epoll_wait", "epoll_pwait"):
        return (args[2 if name == "poll" else 3] & _NO_TIMEOUT_32) == _NO_TIMEOUT_32
    if name in ("ppoll", "epoll_pwait2", "rt_sigtimedwait"):
        return args[2 if name != "epoll_pwait2" else 3] == 0
    if name in ("read", "recvfrom", "recvmsg"):  # its stdin is a file or /dev/null: never blocks
        return _fd_target(pid, args[0]).startswith(("socket:", "pipe:"))
    return False  # sleeps end, and anything else we do not know


def stuck(pids: list[int]) -> str | None:
    """What every thread waits in, e.g. 'accept()', when all of them wait forever; else None."""
    seen: set[str] = set()
    for i in range(SAMPLES):
        if i:
            time.sleep(SAMPLE_GAP)  # poll: spacing between samples, not a wait for the program
        threads = [(pid, tid) for pid in pids for tid in _tasks(pid)]
        if not threads:
            return None
        for pid, tid in threads:
            call = observe.blocked_call(pid, tid)
            if call is None or not waits_forever(pid, *call):
                return None
            seen.add(call[0] + "()")
    return ", ".join(sorted(seen))


def _tasks(pid: int) -> list[int]:
    try:
        return [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return []


def elsewhere(pids: list[int], port: int, proto: str) -> str | None:
    """Where it listens instead of (proto, port), e.g. 'TCP port 9001', or None."""
    mine: set[int] = set()
    for pid in pids:
        mine |= procfs.socket_inodes(pid)
    if not mine:
        return None
    places = []
    for row in procfs.socket_rows(("tcp", "tcp6"), states=("LISTEN",)):
        if row.inode in mine and not (proto == "tcp" and row.local_port == port):
            places.append(f"TCP port {row.local_port}")
    for row in procfs.socket_rows(("udp", "udp6"), states=("07",)):
        if row.inode in mine and not (proto == "udp" and row.local_port == port):
            places.append(f"UDP port {row.local_port}")
    return ", ".join(sorted(set(places))) or None
