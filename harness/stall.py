"""Proof that nothing can arrive from the student's server before a wait's deadline.

A check that waits for bytes from the server (an echo, a greeting, EOF) would
otherwise wait out its whole budget on a program that hangs: a server that
reads and never answers costs each check 3-6 s, one asleep for a
minute the same, nine times a run. The wait ends early only on
proof, and then with the outcome it would have reached (a timeout):

  * nothing is on its way to the waiting client: both ends of the connection
    are open (the server's not closing: else a FIN or RST is on its way), its
    receive queue and the server's send queue of it are empty, and
  * on each of three looks 5 ms apart, every thread of every process of the
    program waits for something that cannot happen before the deadline:
      - for the harness: a connection (accept), bytes on a socket, a socket
        to drain (a send on a full socket), or any of these through
        select/poll/epoll with no timeout, or a lock or a child with no
        timeout (never_ready: a lock no running thread can release). While
        the check waits, the harness sends nothing, so none of these wakes;
      - for the clock, past the deadline: clock_nanosleep with an absolute
        CLOCK_MONOTONIC time (Python >= 3.11's time.sleep), read from the
        sleeping thread's memory (the runner has ptrace rights over it).
    A thread that runs, sleeps for a relative time, or waits in a call not
    named here is no proof: the check waits as before.

Writes to a pipe do not count (the pipes are the program's stdout and stderr,
which the harness drains). GRADER_FAIL_FAST=0 turns this off, with the other
early ends (harness.never_ready).
"""

from __future__ import annotations

import os
import time

from harness import never_ready, observe
from harness.conversation import Conversation

CLOCK_MONOTONIC, TIMER_ABSTIME = 1, 1
SENDING = frozenset({"write", "sendto", "sendmsg"})


def _sleeps_until(pid: int, tid: int, args: list[int]) -> float | None:
    """The CLOCK_MONOTONIC time an absolute clock_nanosleep ends at (None: relative, or unreadable)."""
    if args[0] != CLOCK_MONOTONIC or not args[1] & TIMER_ABSTIME:
        return None
    try:
        fd = os.open(f"/proc/{pid}/task/{tid}/mem", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        raw = os.pread(fd, 16, args[2])
    except OSError:
        return None
    finally:
        os.close(fd)
    if len(raw) != 16:
        return None
    seconds, nanoseconds = int.from_bytes(raw[:8], "little", signed=True), int.from_bytes(raw[8:], "little")
    return seconds + nanoseconds / 1e9


def _socket_fd(pid: int, fd: int) -> bool:
    try:
        return os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
    except OSError:
        return False


def waits_past(pid: int, tid: int, until: float) -> str | None:
    """What this thread waits in, when it cannot return before `until` (see the module); else None."""
    call = observe.blocked_call(pid, tid)
    if call is None:
        return None
    name, args = call
    if name == "clock_nanosleep":
        end = _sleeps_until(pid, tid, args)
        return f"time.sleep() ({end - time.monotonic():.1f} s more)" if end is not None and end >= until else None
    if name in SENDING:
        return f"{name}() on a socket nobody reads" if _socket_fd(pid, args[0]) else None
    return f"{name}()" if never_ready.waits_forever(pid, name, args) else None


def stalled(pids: list[int], until: float, samples: int = 3, gap: float = 0.005) -> str | None:
    """'every thread waits in X, Y' when, on each look, every thread of `pids` waits past `until`."""
    seen: set[str] = set()
    for i in range(samples):
        if i:
            time.sleep(gap)  # poll: spacing between looks, not a wait for the program
        threads = [(pid, tid) for pid in pids for tid in _tasks(pid)]
        if not threads:
            return None
        for pid, tid in threads:
            what = waits_past(pid, tid, until)
            if what is None:
                return None
            seen.add(what)
    return ", ".join(sorted(seen))


def _tasks(pid: int) -> list[int]:
    try:
        return [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return []


# The connection's two ends while nothing can be on its way to the client: ours open for receiving
# (ESTABLISHED, or FIN_WAIT2 after our own half-close), the server's still able to send or not yet
# accepted (ESTABLISHED, CLOSE_WAIT once it has read our FIN, SYN_RECV while in a full accept queue).
RECEIVING = frozenset({"ESTABLISHED", "FIN_WAIT2"})
HOLDING = frozenset({"ESTABLISHED", "CLOSE_WAIT", "SYN_RECV"})


def nothing_on_the_way(client: Conversation) -> bool:
    """Both ends of this connection are in the table, open (RECEIVING, HOLDING), with the client's receive
    queue and the server's send queue empty.

    A server end that is gone or closing means a FIN or RST is on its way, though no queue shows it:
    loopback hands it over through a softirq backlog, which a loaded machine can run late. Seen (2026-12-07,
    selftest --repeat 20 --load): a server back in accept() after closing with unread data, its RST not yet
    at the client, so the client's wait ended as a `timeout` where the other 19 runs saw the reset."""
    mine, theirs = client.mine(), client.theirs()
    if mine is None or theirs is None or mine.state not in RECEIVING or theirs.state not in HOLDING:
        return False
    return not mine.rx_queue and not theirs.tx_queue


def proof(pids: list[int], client: Conversation, until: float) -> str | None:
    """The sentence that proves nothing can reach this client before `until`, or None."""
    if not never_ready.enabled() or not pids or not nothing_on_the_way(client):
        return None
    calls = stalled(pids, until)
    if calls is None or not nothing_on_the_way(client):
        return None
    return (f"/proc shows that nothing can come before the deadline: nothing was on its way, and every thread "
            f"of the server waited in {calls}, for the client or the clock")
