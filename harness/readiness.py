"""Waiting until the student's server is ready, from kernel state alone.

A server is ready when one of its own processes has a LISTEN socket (TCP) or
a bound socket (UDP) on the lab's port, as /proc/net shows. No connection is
made to find out, so an iterative server never spends its one slot on us.
If the program exits first, the check fails at once with its stderr tail.
"""

from __future__ import annotations

from harness import procfs
from harness.launch import StudentProgram, describe_exit
from harness.outcomes import CheckTimeout, ProgramCrashed
from harness.waiting import poll

UDP_BOUND = "07"


def owned_listener(program: StudentProgram, port: int, proto: str) -> bool:
    protos = ("udp", "udp6") if proto == "udp" else ("tcp", "tcp6")
    want = UDP_BOUND if proto == "udp" else "LISTEN"
    inodes = {r.inode for r in procfs.socket_rows(protos) if r.local_port == port and r.state == want}
    if not inodes:
        return False
    return any(inodes & procfs.socket_inodes(pid) for pid in program.pids())


def wait_until_listening(program: StudentProgram, port: int, proto: str = "tcp",
                         timeout: float = 5.0) -> None:
    def ready() -> bool | str:
        if not program.running():
            return "exited"
        return owned_listener(program, port, proto)

    state = poll(ready, timeout)
    what = "listening on TCP" if proto == "tcp" else "bound to UDP"
    if state == "exited" or not program.running():
        raise ProgramCrashed(
            f"The program {describe_exit(program.poll() or 0)} before it was {what} port {port}.\n"
            f"Its stderr ends with:\n{program.stderr_tail()}")
    if not state:
        raise CheckTimeout(
            f"The program was still running but not {what} port {port} after {timeout:g} s.\n"
            f"Does it bind and listen on port {port}? Its stderr ends with:\n{program.stderr_tail()}")
    program.transcript.note(program.label, f"{what} port {port}")
