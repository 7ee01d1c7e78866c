"""End-of-stream and reset moves: FIN (half-close), the echo still owed after it, and RST.

Each of these moves was once racy; the docstring of each says how it now
arranges its schedule with /proc proof before it judges.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from harness import observe
from harness.compare import describe_bytes_mismatch, digest
from harness.conversation import Conversation
from harness.launch import StudentProgram, describe_exit
from harness.outcomes import CheckFailed
from harness.probes import by_hand
from harness.probes.echo import await_echo, send_or_fail
from harness.probes.server import (
    SETTLED,
    client_row,
    held_and_quiet,
    server_row,
    settle,
    start_server,
    streak,
    wait_settled,
)
from harness.probes.transfer import Transfer
from harness.session import LabSession
from harness.waiting import Deadline, poll

SMALL_WMEM = "4096 16384 262144"  # per-namespace: the server's send buffers stay small,
SMALL_RMEM = "4096 65536 262144"  # so a backlog of echo data is certain, not likely

EARLY_EOF_ADVICE = (
    "The server closed the connection while it still owed the client data. When recv() returns b'' the client "
    "has only stopped sending: stop reading from it, send everything still queued for it, and close it after that.")


# ---- reset ---------------------------------------------------------------------------

def survives_reset(lab: LabSession) -> None:
    """Client A is echoed, then aborts (RST); client B must still be served.

    Formerly racy, twice. (1) A sent unread data just before its RST, so the
    server either read the data and failed in send(), or failed in recv(), or
    neither, by scheduling. (2) Nothing proved the server still held A's
    connection when the RST came: a server that had already closed it never saw
    the reset. Now the RST is sent only once /proc shows the server holds A's
    socket (ESTABLISHED, in its fd table) with nothing in flight either way, so
    its next recv() on A fails with ConnectionResetError every time. If the
    server closed A by itself after one echo, a second client A2, which sends
    nothing, is aborted instead once the server holds it.
    """
    lab.hint = by_hand.survives_reset(lab)
    program, _pid = start_server(lab)
    first = lab.connect("client A")
    first.send(b"before the reset\n")
    first.expect(b"before the reset\n")
    victim = first
    if not _await_held(lab, program, first, cap=4.0):
        closed = _closed_by_server(lab, first)
        lab.note(("the server closed client A's connection by itself after one echo" if closed else
                  "the server neither closed client A's connection nor waited to read from it within 4 s")
                 + "; the reset goes to client A2, which connects and sends nothing, once the server holds it")
        victim = lab.connect("client A2")
        if not _await_held(lab, program, victim, cap=2.0):
            lab.note("/proc did not show the server holding client A2's connection within 2 s")
    victim.abort()
    _await_reset_handled(lab, program, victim)
    second = lab.connect("client B")
    second.send(b"after the reset\n")
    second.expect(b"after the reset\n")


def _await_reset_handled(lab: LabSession, program: StudentProgram, victim: Conversation) -> None:
    """Client B connects only once the server has met the reset: it exited (CheckFailed), or it waits
    again, or it computes on (a loop).

    Formerly B connected at once, while a server that dies on the reset was still running, dying or
    gone: B met a refused connect, or a reset from the closing listener's queue, or an echo, as the
    kernel scheduled the exit (tcp_echo/crashes_on_reset's outcome moved in the Gradescope sandbox).
    First /proc shows the server's end is gone from the kernel's table (the RST was processed, so a
    thread waiting on that socket has been woken), then the server settles (probes.server.settle)."""
    poll(lambda: server_row(lab, victim) is None or not program.running(), 2.0)
    if settle(program) == "exited":
        raise CheckFailed(f"The server {describe_exit(program.poll() or 0)} after {victim.name} reset its connection, "
                          "so no later client can be served. A client that crashes or aborts makes recv() or send() "
                          "raise ConnectionResetError: catch it around the conversation with that client, close that "
                          "socket and go on accepting.")  # the session adds how it ended, with its stderr


def _await_held(lab: LabSession, program: StudentProgram, client: Conversation, cap: float) -> bool:
    """True once the server holds this connection with nothing in flight and waits to read (noted with its
    proof); False when it closed the connection (its end gone or past ESTABLISHED) or never quieted.

    Holding is not enough: a server that is between its last send() and its close() also holds the
    connection, quiet, for as long as the scheduler leaves it off the CPU. A reset then is never read,
    so whether it passed depended on load. So every thread must sleep, one of them in a receive or a
    wait for input, on 3 samples in a row."""
    ready = streak(lambda: held_and_quiet(lab, program, client) in (True, None) and _waiting_to_read(program), 3)
    state = _poll_while_busy(program, lambda: _closed_by_server(lab, client) or ready() or None, quiet=2.0, cap=cap)
    if state and not _closed_by_server(lab, client):
        proof = held_and_quiet(lab, program, client)
        lab.note(f"/proc: the server holds {client.name}'s connection (ESTABLISHED, nothing queued either way) "
                 "and sleeps waiting to read"
                 + ("" if proof else "; its fd table is unreadable here, so only the queues were checked"))
        return True
    return False


# CPU time the server must use within a quiet window for the wait to go on: it is working (a slow log,
# a hash before close()), not idle. Python's idle loops (accept() with a timeout) use far less.
BUSY_CPU = 0.05


def _poll_while_busy(program: StudentProgram, decided: Callable[[], object], quiet: float, cap: float) -> object:
    """poll(decided, quiet), again for as long as the program was busy through the last window, up to
    `cap` s in all. Busy: it computed (BUSY_CPU), or some thread of it is still runnable, waiting for a
    core (on a starved machine a computing program gets less than BUSY_CPU of a window).

    Formerly a fixed 2 s: a server that hashed its log for longer before it closed client A, as under
    load, was taken for one that had closed A by itself (a Docker selftest run then ended in a grader
    error). A server's CPU time is not stretched by the load; wall time is."""
    deadline = Deadline(cap)
    while True:
        before = observe.cpu_seconds(program.pids())
        state = poll(decided, min(quiet, deadline.remaining()))
        if state or deadline.expired() or not program.running():
            return state
        pids = program.pids()
        if observe.cpu_seconds(pids) - before < BUSY_CPU and observe.asleep_steadily(pids):
            return state


def _waiting_to_read(program: StudentProgram) -> bool:
    """Every thread sleeps (settled) and one of them in recv()/read() or select()/poll()/epoll;
    unreadable threads are no evidence either way."""
    known = [s for s in observe.blocked_in_threads(program.pids()) if s is not None]
    return not known or (all(s in SETTLED for s in known) and any(s in observe.RECEIVING for s in known))


def _closed_by_server(lab: LabSession, client: Conversation) -> bool:
    theirs = server_row(lab, client)
    return theirs is None or theirs.state not in ("ESTABLISHED", "SYN_RECV")


# ---- FIN: the echo still owed ----------------------------------------------------------

def shutdown_flush(lab: LabSession) -> None:
    """The client sends 46 KB of lines and an unterminated tail, shuts down its write side and reads to EOF.

    Not racy: the tail has no newline, so a server that echoes whole lines only
    never sends it, whatever the schedule.
    """
    lab.hint = by_hand.shutdown_flush(lab)
    lines = b"".join(f"line {i:05d} of the text\n".encode() for i in range(2000))
    payload = lines + b"and an unterminated last line"
    lab.server()
    client = lab.connect("client")
    client.send(payload)
    client.shutdown_write()
    received = client.recv_until_eof(timeout=5)
    problem = describe_bytes_mismatch(payload, received)
    if problem:
        raise CheckFailed(f"After the client's FIN the server closed without echoing everything:\n{problem}")


def server_closes(lab: LabSession, name: str = "client", timeout: float = 3.0) -> Conversation:
    """Echo a message, send an unterminated tail and FIN; expect the tail, then EOF."""
    lab.server()
    client = lab.connect(name)
    client.send(b"first line\n")
    client.expect(b"first line\n")
    tail = b"an unterminated last piece"
    client.send(tail)
    client.shutdown_write()
    try:
        rest = client.recv_until_eof(timeout=timeout)
    except CheckFailed as exc:
        raise CheckFailed(f"{exc}\nAfter the client shut down its write side (FIN), the server should have "
                          "sent back what it still owed and closed the connection.") from None
    problem = describe_bytes_mismatch(tail, rest)
    if problem:
        raise CheckFailed(f"After the client's FIN the server closed without echoing everything:\n{problem}")
    return client


def small_kernel_buffers(lab: LabSession) -> None:
    """Before the server starts: cap TCP buffer autotuning in this check's network namespace; where
    there is none of its own, every TCP socket of the check gets buffers fixed at those caps instead
    (LabSession.set_sysctl emulate="max"): the same full buffers, so the same verdicts, everywhere."""
    lab.set_sysctl("net.ipv4.tcp_wmem", SMALL_WMEM, emulate="max")
    lab.set_sysctl("net.ipv4.tcp_rmem", SMALL_RMEM, emulate="max")


def shutdown_flush_backlogged(lab: LabSession, size: int = 1 << 20) -> None:
    """The client sends `size` bytes and FIN before reading; all of the echo must come back, then EOF.

    The client's receive buffer and the server's send buffer are small, so
    the server holds most of the echo in its own queue; `hold_until_fin_read`
    makes sure it is still holding it when it reads the FIN.
    """
    small_kernel_buffers(lab)
    lines = b"".join(b"line %06d of the text\n" % i for i in range(size // 23))
    payload = lines + b"and an unterminated last line"
    program, _pid = start_server(lab)
    client = lab.connect("client", rcvbuf=4096)
    lab.note(f"the client (receive buffer 4096 bytes) sends {len(payload)} bytes of text and shuts down its write "
             "side before it reads anything")
    transfer = push_without_reading(lab, program, client, payload)
    hold_until_fin_read(lab, program, transfer)
    read_back(transfer, "The echo after the client's FIN")


def push_without_reading(lab: LabSession, program: StudentProgram, client: Conversation, payload: bytes,
                         timeout: float = 10.0) -> Transfer:
    """Send all of `payload` and then FIN on `client`, reading nothing.

    A server that keeps reading takes it all. One that stops reading while it
    owes the client data (flow control, allowed; or a blocking send) moves us
    on as soon as /proc shows it: our bytes wait in its receive queue while
    none of its threads runs, 3 samples in a row.
    """
    transfer = Transfer(client, payload, program, shutdown_when_sent=True)
    transfer.run(lambda: transfer.shut, read=False, timeout=timeout, stop_early=_stalled(lab, program, client))
    if transfer.failure:
        transfer.judge(what=client.name, eof=True)
    lab.note(f"{client.name} has sent {transfer.sent} bytes{' and its FIN' if transfer.shut else ''} without reading")
    return transfer


def _stalled(lab: LabSession, program: StudentProgram, client: Conversation) -> Callable[[], bool]:
    """A predicate: the server leaves our bytes in its receive queue while none of its threads runs (3 in a row)."""
    def not_reading() -> bool:
        row = server_row(lab, client)
        return bool(row and row.rx_queue) and "running" not in observe.blocked_in_threads(program.pids())
    return streak(not_reading, 3)


def _fin_read(lab: LabSession, client: Conversation) -> bool:
    """The server's end has taken every byte and the FIN (past ESTABLISHED, receive queue empty) or is gone."""
    row = server_row(lab, client)
    return row is None or (row.state != "ESTABLISHED" and row.rx_queue == 0)


def hold_until_fin_read(lab: LabSession, program: StudentProgram, transfer: Transfer, timeout: float = 20.0) -> None:
    """Read the echo only in steps, each after /proc shows the server settled, so it meets the FIN while it owes.

    Formerly racy: the client read as soon as it had sent its FIN, so a server
    that drops its queue at EOF sometimes emptied that queue before it read
    the EOF, and passed. Now:
      * before the FIN is out, the client reads only when the server holds
        back (flow control: our bytes wait in its receive queue while none of
        its threads runs), in growing steps that end the moment the FIN goes;
      * after it, the client first waits until the server's end has taken
        every byte and the FIN (past ESTABLISHED, receive queue empty) and its
        threads sleep, or until it holds back again; then it reads one
        receive, then two, four, ... waiting for that proof after each step.
    /proc cannot show whether the program has called recv() and seen b'' yet
    (a server that stops reading while it owes has not), so the steps start
    small: such a server gets to read the EOF after the first one, still owing
    all but a receive buffer's worth, and a server that drops its queue there
    loses it every run.
    """
    client = transfer.client
    deadline = Deadline(timeout)
    steps, step, after_fin = 0, 64 << 10, 1
    while not deadline.expired() and not (transfer.eof or transfer.failure):
        if not transfer.shut:
            transfer.run(lambda: transfer.shut, read=False, timeout=deadline.remaining(),
                         stop_early=_stalled(lab, program, client))
        if transfer.shut:
            proof = poll(lambda: _fin_read(lab, client) or _stalled_now(lab, program, client), 3.0)
            if not proof:
                lab.note("/proc showed neither that the server read the FIN nor that it holds back; reading anyway")
                break
            if _fin_read(lab, client):
                wait_settled(program)
            if steps == 0 or after_fin == 1:
                _note_owed(lab, transfer, steps)
        steps += 1
        shut_before = transfer.shut
        size = after_fin if shut_before else step
        if shut_before:
            after_fin *= 2
        else:
            step *= 2
        target = transfer.received_len + size
        transfer.run(lambda: transfer.received_len >= target or transfer.eof or transfer.shut != shut_before,  # noqa: B023 - run() calls it before the loop goes on
                     read=True, timeout=deadline.remaining(), idle=3.0)


def _stalled_now(lab: LabSession, program: StudentProgram, client: Conversation) -> bool:
    check = _stalled(lab, program, client)
    return bool(poll(check, 0.2))  # poll: three quick samples, bounded


def _note_owed(lab: LabSession, transfer: Transfer, steps: int) -> None:
    client = transfer.client
    theirs, mine = server_row(lab, client), client_row(lab, client)
    queued = (theirs.tx_queue if theirs else 0) + (mine.rx_queue if mine else 0)
    owed = len(transfer.expected) - transfer.received_len - queued
    state = f"{theirs.state}, receive queue {theirs.rx_queue}" if theirs else "closed"
    lab.note(f"/proc after the client's FIN, before it reads on: the server's end of the connection is {state}; "
             f"{transfer.received_len} bytes came back so far ({steps} paced read(s)), {queued} are in the "
             f"kernel's queues, and {max(owed, 0)} are still in the server program")


def read_back(transfer: Transfer, what: str) -> None:
    """Read until EOF (while sending whatever is left), then judge every byte."""
    transfer.run(lambda: transfer.eof, read=True, timeout=20.0, idle=3.0, stall=True)
    transfer.judge(
        what=what, eof=True,
        on_mismatch="Bytes went missing in the middle of the stream: that is what happens when send() takes only "
                    "part of a buffer and the program forgets the rest. Use the count send() returns.",
        on_early_eof=EARLY_EOF_ADVICE)


def slow_reader(lab: LabSession, size: int = 8 << 20, rcvbuf: int = 4096, others: int = 3, seed: int = 10001,
                advice: str = "") -> None:
    """A client sends `size` bytes without reading, then FIN; others are served; it then reads it all back.

    The read-back waits for the same proof as shutdown_flush_backlogged
    (hold_until_fin_read), so a server that drops its queue at EOF fails
    every run.
    """
    small_kernel_buffers(lab)
    payload = random.Random(seed).randbytes(size)
    program, pid = start_server(lab)
    slow = lab.connect("slow client", rcvbuf=rcvbuf)
    lab.note(f"the slow client (receive buffer {rcvbuf} bytes) sends {size} random bytes "
             f"(sha256 {digest(payload)}) and reads nothing yet")
    transfer = push_without_reading(lab, program, slow, payload)
    if poll(lambda: _tx(lab, slow) > 0, 3.0):
        lab.note(f"/proc: the server's socket to the slow client has {_tx(lab, slow)} bytes queued "
                 "(the slow client's receive buffer is full)")
    else:
        lab.note("/proc: the server's socket to the slow client has nothing queued: it has not echoed anything")
    for j in range(others):
        c = lab.connect(f"client {j + 1}")
        message = f"client {j + 1}: am I served while the slow client is not reading?\n".encode()
        send_or_fail(c, message, program)
        await_echo(lab, program, pid, c, message, what=" (while the slow client is not reading)",
                   others="The slow client has sent megabytes without reading its echo: a server that sends "
                          "with a blocking send()/sendall() is stuck writing to it.", advice=advice)
    hold_until_fin_read(lab, program, transfer)
    read_back(transfer, "The slow client's echo")


def _tx(lab: LabSession, client: Conversation) -> int:
    row = server_row(lab, client)
    return row.tx_queue if row else 0
