"""Waiting until the student's server is ready, from kernel state alone.

A server is ready when one of its own processes has a LISTEN socket (TCP) or
a bound socket (UDP) on the lab's port, as /proc/net shows. No connection is
made to find out, so an iterative server never spends its one slot on us.
If the program exits first, the check fails at once with its stderr tail.
A failure carries the proof that the program never will be ready, when
/proc gives one (harness.never_ready), so later checks need not wait again.
"""

from __future__ import annotations

import time

from harness import never_ready, procfs, stall
from harness.launch import StudentProgram, describe_exit
from harness.outcomes import CheckFailed, CheckTimeout, ProgramCrashed
from harness.waiting import poll

UDP_BOUND = "07"
READY_POLL = 0.003  # seconds between two looks while the program starts
STALL_LOOK = 0.25  # seconds between looks for the proof that the program cannot listen in time
BUDGET = "\x00budget\x00"  # where a proof's message names the budget of the check that reuses it


def owned_listener(program: StudentProgram, port: int, proto: str) -> bool:
    protos = ("udp", "udp6") if proto == "udp" else ("tcp", "tcp6")
    want = UDP_BOUND if proto == "udp" else "LISTEN"
    inodes = {r.inode for r in procfs.socket_rows(protos, local_port=port, states=(want,))}
    if not inodes:
        return False
    return any(inodes & procfs.socket_inodes(pid) for pid in program.pids())


def wait_until_listening(program: StudentProgram, port: int, proto: str = "tcp",
                         timeout: float = 5.0, *, check: str = "") -> None:
    """Return once the program is ready; else raise ProgramCrashed or CheckTimeout, with
    `.proof` (a never_ready.Proof) when /proc shows that it never will be."""
    end = time.monotonic() + timeout
    look = [time.monotonic() + STALL_LOOK]
    stalled: list[str] = []

    def ready() -> bool | str:
        if not program.running():
            return "exited"
        if owned_listener(program, port, proto):
            return True
        # A program that cannot listen before the deadline (every thread waits for what nobody will
        # provide, or sleeps past it: harness.stall) ends the wait now, with the outcome it would reach.
        if time.monotonic() >= look[0]:
            look[0] = time.monotonic() + STALL_LOOK
            calls = stall.stalled(program.pids(), end) if never_ready.enabled() else None
            if calls:
                # Look again: it may have listened between the first look and the samples (then it waits
                # in accept(), which is forever only for a port nobody connects to).
                if owned_listener(program, port, proto):
                    return True
                stalled.append(calls)
                return "stalled"
        return False

    # Programs listen 50-70 ms after their start: a flat few-ms poll notices it at once (the
    # default backoff reached 50 ms steps by then). Before the listener exists a poll costs
    # one netlink look-up (harness.sockdiag), ~0.2 ms.
    state = poll(ready, timeout, first=READY_POLL, cap=READY_POLL)
    what = "listening on TCP" if proto == "tcp" else "bound to UDP"
    if state == "exited" or not program.running():
        raise _crashed(program, what, port, check)
    if state is not True:
        raise _timed_out(program, what, port, proto, timeout, check, stalled[0] if stalled else "")
    program.transcript.note(program.label, f"{what} port {port}")


def _crashed(program: StudentProgram, what: str, port: int, check: str) -> CheckFailed:
    code = program.poll() or 0
    message = (f"The program {describe_exit(code)} before it was {what} port {port}.\n"
               f"Its stderr ends with:\n{program.stderr_tail()}")
    exc = ProgramCrashed(message)
    if 0 <= code < 128 and not program.notes():  # a kill (OOM, a limit) or a note is no proof for the next start
        exc.proof = never_ready.Proof(kind="exited", after=time.monotonic() - program.started_at,
                                      check=check, message=message)
    return exc


def _timed_out(program: StudentProgram, what: str, port: int, proto: str, timeout: float,
               check: str, stalled: str = "") -> CheckFailed:
    pids = program.pids()
    where = never_ready.elsewhere(pids, port, proto) if pids else None
    calls = never_ready.stuck(pids) if pids else None
    because = ""
    if where:
        because = f"/proc shows it {'listening on' if 'TCP' in where else 'bound to'} {where} instead.\n"
    elif calls:
        because = (f"/proc shows every thread of it waiting in {calls} with no deadline, "
                   "so it cannot go on to listen.\n")
    elif stalled:
        because = f"/proc shows every thread of it waiting in {stalled}, past that deadline.\n"
    after = f", and /proc shows it could not be within {BUDGET} s" if calls or stalled else f" after {BUDGET} s"
    message = (f"The program was still running but not {what} port {port}{after}.\n{because}"
               f"Does it bind and listen on port {port}? Its stderr ends with:\n{program.stderr_tail()}")
    exc = CheckTimeout(message.replace(BUDGET, f"{timeout:g}"))
    if calls or where:
        exc.proof = never_ready.Proof(kind="stuck" if calls else "elsewhere", after=timeout,
                                      check=check, message=message)
    return exc
