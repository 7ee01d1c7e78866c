"""The server under test, as the probe moves see it: started, its pid, its exit,
and the /proc proofs that arrange a schedule before a move judges.

Every proof here is a poll on kernel state with a deadline (harness.waiting):
a correct server satisfies it at once; the deadline only bounds a wrong one.
When /proc cannot be read here (no ptrace rights), a proof answers None
("no evidence"), and the move says so in the transcript instead of guessing.
"""

from __future__ import annotations

from collections.abc import Callable

from harness import observe, procfs
from harness.conversation import Conversation
from harness.launch import StudentProgram, describe_exit
from harness.outcomes import ProgramCrashed
from harness.session import LabSession
from harness.transcript import Transcript
from harness.waiting import poll

# A thread asleep in one of these is not in the middle of handling a client's
# bytes: waiting for the next event (select/poll/epoll, accept, a receive),
# for another thread (futex, wait4) or the clock.
SETTLED = observe.WAITING_FOR_IO | observe.SLEEPING | {
    "accept", "accept4", "read", "recvfrom", "recvmsg", "futex", "wait4"}


def start_server(lab: LabSession) -> tuple[StudentProgram, int]:
    """The contract's one way to begin a move: start the server, wait until it listens, get its pid."""
    program = lab.server()
    return program, server_pid(program)


def server_pid(program: StudentProgram, timeout: float = 2.0) -> int:
    """The pid running the student's file; ProgramCrashed if it is gone."""
    pid = program.wait_main_pid(timeout)
    if pid is None or pid < 0 or not program.running():
        raise ProgramCrashed(f"The server {describe_exit(program.poll() or 0)} before the check could observe it.\n"
                             f"Its stderr ends with:\n{program.stderr_tail()}")
    return pid


def server_exit_note(program: StudentProgram) -> str:
    """'' while the server runs; otherwise a sentence saying how it ended."""
    code = program.poll()
    if code is None:
        return ""
    return f"\nThe server {describe_exit(code)} during the check."


def quiet_connect(lab: LabSession, name: str, **kw: object) -> Conversation:
    """A client whose traffic stays out of the check's transcript (still aborted at teardown)."""
    conv = Conversation(lab.port, Transcript(limit=0), name=name, **kw)  # type: ignore[arg-type]
    return lab.adopt(conv)


# ---- proofs ------------------------------------------------------------------------

def server_row(lab: LabSession, client: Conversation) -> procfs.SocketRow | None:
    """The server's end of this client's connection in /proc/net/tcp (None once it is gone)."""
    return client.theirs()


def client_row(lab: LabSession, client: Conversation) -> procfs.SocketRow | None:
    return client.mine()


def holds(program: StudentProgram, inode: int) -> bool | None:
    """Does some process of the program hold this socket? None when no fd table is readable."""
    readable = False
    for pid in program.pids():
        inodes = procfs.socket_inodes_seen(pid)
        if inodes is None:
            continue
        readable = True
        if inode in inodes:
            return True
    return False if readable else None


def held_and_quiet(lab: LabSession, program: StudentProgram, client: Conversation) -> bool | None:
    """The server holds this client's connection (ESTABLISHED, accept()ed: the accept queue
    is empty; the socket in its fd table) and nothing is in flight either way.
    None: the fd tables are unreadable here, so only the kernel's queues were proof."""
    theirs, mine = server_row(lab, client), client_row(lab, client)
    if not (theirs and mine and theirs.state == "ESTABLISHED"):
        return False
    if observe.accept_queue_len(lab.port):
        return False  # still waiting in the listen backlog: not the server's yet
    if theirs.rx_queue or theirs.tx_queue or mine.rx_queue or mine.tx_queue:
        return False
    return holds(program, theirs.inode)


def settled(program: StudentProgram) -> bool:
    """Every thread of the program sleeps outside the handling of a client's bytes
    (point sample; an unreadable thread counts as no evidence against)."""
    return all(s is None or s in SETTLED for s in observe.blocked_in_threads(program.pids()))


def wait_settled(program: StudentProgram, timeout: float = 1.0) -> bool:
    """Poll until settled() holds on 3 samples in a row (one sample can catch a passing call)."""
    return bool(poll(streak(lambda: settled(program), 3), timeout))


# CPU time a program may use after an event and still be on its way to exit or to wait: a Python
# interpreter's exit (a traceback printed, sockets closed) takes about 0.01 CPU-s. A loop passes it.
SETTLE_CPU = 0.2


def settle(program: StudentProgram, timeout: float = 5.0) -> str:
    """'exited', 'asleep' (every thread waits: in accept(), select(), a receive, a sleep) or 'running'
    (SETTLE_CPU of CPU time used since, still going: a loop; also at the timeout).

    What a program does next after an event (it listened; a client reset) is certain once it is gone,
    waits, or has run far longer than an exit takes. Judged at once, a program on its way out was seen
    alive in some runs and gone in others, as the kernel scheduled it. The measure is CPU time, which
    the machine's load does not stretch; the timeout only bounds a program starved of the CPU."""
    start = observe.cpu_seconds(program.pids())

    def known() -> str | None:
        if not program.running():
            return "exited"
        pids = program.pids()
        if observe.asleep_steadily(pids):
            return "asleep"
        if observe.cpu_seconds(pids) - start >= SETTLE_CPU:
            return "running"
        return None

    return poll(known, timeout) or "running"


def streak(predicate: Callable[[], bool], needed: int) -> Callable[[], bool]:
    """A predicate that holds once `predicate` held on `needed` consecutive calls."""
    count = 0

    def check() -> bool:
        nonlocal count
        count = count + 1 if predicate() else 0
        return count >= needed

    return check
