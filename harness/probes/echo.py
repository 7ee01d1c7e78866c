"""Echo moves: one client (or clients in turn) sends, the server must send the same bytes back.

`await_echo` is the shared wait for an echo that fails fast when /proc proves
the echo cannot come (the concurrency and census moves use it too).
"""

from __future__ import annotations

import random
import select
import socket
import time

from harness import observe
from harness.compare import digest
from harness.conversation import Conversation
from harness.launch import StudentProgram
from harness.outcomes import CheckFailed, CheckTimeout
from harness.probes import by_hand
from harness.probes.server import server_exit_note, start_server, wait_settled
from harness.probes.transfer import Transfer
from harness.session import LabSession
from harness.waiting import Deadline


def echo_short(lab: LabSession, message: bytes = b"hello, echo\n") -> None:
    lab.hint = by_hand.echo_short(lab)
    lab.server()
    client = lab.connect("client")
    client.send(message)
    client.expect(message)


def echo_no_newline(lab: LabSession) -> None:
    lab.hint = by_hand.echo_no_newline(lab)
    lab.server()
    client = lab.connect("client")
    client.send(b"no newline at the end")
    client.expect(b"no newline at the end", timeout=3,
                  what=" (the server must echo what it received without waiting for a newline)")


def echo_several(lab: LabSession) -> None:
    lab.hint = by_hand.echo_several(lab)
    lab.server()
    client = lab.connect("client")
    for i, message in enumerate([b"first\n", b"second message\n", b"third, and the last\n"]):
        client.send(message)
        client.expect(message, what=f" (message {i + 1} of 3)")


def echo_large(lab: LabSession, size: int = 1 << 20, seed: int = 9000) -> None:
    """Send `size` random bytes and read the echo concurrently; every byte must come back in order.

    Formerly racy: a server that ignores the count send() returns loses bytes
    only when a send() is partial, which depends on how fast this client reads
    (in Docker it sometimes never happened). Now the client first sends without
    reading until nothing can move (the server asleep, the kernel's queues the
    same on three looks): the way back is full, and every byte the server has
    read beyond it must sit in its own memory. /proc's queues give that count;
    with the lab's buffer sizes (1 MiB against at most about 0.5 MiB of buffers)
    it is more than a socket can take at once, so a send() of it is certainly
    partial. Only then does the client read. A blocking server, stopped in
    sendall() until we read, is just as still: it resumes as we read.
    The lost bytes show as a gap or as a short tail as reads and partial
    sends happened to interleave: an echo that came back in part is `failed`
    either way (short_fails), so the outcome does not move with the load.
    """
    lab.hint = by_hand.echo_large(lab)
    payload = random.Random(seed).randbytes(size)
    program = lab.server()
    client = lab.connect("client")
    lab.note(f"sending {size} random bytes (sha256 {digest(payload)}); the echo is read once nothing moves any more")
    transfer = Transfer(client, payload, program)
    held = _held_when_still(lab, client, transfer)
    transfer.run(lambda: transfer.received_len >= size, read=True, timeout=6, stall=True)
    advice = ""
    if held and held[0] > held[1]:
        advice = (f"When the client paused reading, the server had read {held[0]} bytes and only {held[1]} were on "
                  f"their way back, so it had to keep {held[0] - held[1]} bytes itself and send them as the socket "
                  "took them. send() may take only part of what it is given: it returns how many bytes it sent, "
                  "and the rest must stay queued.")
    transfer.judge(what=f"The echo of {size} bytes", eof=False, on_mismatch=advice, short_fails=True)


def _queues(lab: LabSession, client: Conversation) -> tuple[int, int, int, int] | None:
    """(our send queue, our receive queue, the server's receive queue, its send queue) of this
    connection, from the kernel; None once either end is gone."""
    theirs, mine = client.theirs(), client.mine()
    if theirs is None or mine is None:
        return None
    return mine.tx_queue, mine.rx_queue, theirs.rx_queue, theirs.tx_queue


def _held_when_still(lab: LabSession, client: Conversation, transfer: Transfer) -> tuple[int, int] | None:
    """Fill the connection without reading until it is still (Transfer.fill_until_still); then
    (bytes the server has read, bytes on their way back to the client), from the kernel's queues.
    None when no stillness was seen (a spinning server) or the rows are gone."""
    def sample() -> tuple[int, int, int, int] | None:
        return _queues(lab, client) if observe.all_asleep(program.pids()) else None

    program = transfer.program
    if not transfer.fill_until_still(sample, timeout=2.0):
        lab.note("the connection never stood still (the server kept running); reading the echo anyway")
        return None
    queues = sample()
    if queues is None:
        return None
    my_tx, my_rx, their_rx, their_tx = queues
    read = transfer.sent - my_tx - their_rx
    on_the_way = transfer.received_len + my_rx + their_tx
    lab.note(f"nothing moved any more after {transfer.sent} bytes sent: the server had read {read}, "
             f"{on_the_way} were on their way back (queued in the kernel), so it held {read - on_the_way} "
             "itself; now reading the echo")
    return read, on_the_way


def echo_bytewise(lab: LabSession) -> None:
    """Each byte is sent only after the server has read the previous one (/proc: its receive
    queue is empty), so the message reaches it in as many recv() calls as it has bytes."""
    lab.hint = by_hand.echo_bytewise(lab)
    message = b"one byte at a time\n"
    lab.server()
    client = lab.connect("client")
    client.send_fragments([message[i:i + 1] for i in range(len(message))])
    client.expect(message)


def all_byte_values(lab: LabSession) -> None:
    lab.hint = by_hand.all_byte_values(lab)
    payload = bytes(range(256)) * 4
    lab.server()
    client = lab.connect("client")
    client.send(payload)
    client.expect(payload)


def clients_in_turn(lab: LabSession, clients: int = 5) -> None:
    """Clients one after another: each is echoed, shuts down its side and sees the server close.

    Formerly racy: a server whose FIN handling collides with its own pending
    write (the PyMOTW server's KeyError) failed or passed by scheduling. Now,
    before each FIN, the move waits (at most 1 s, /proc) until every thread of
    the server sleeps outside a client's data path: the FIN always arrives
    after the echo has been handled.
    """
    lab.hint = by_hand.clients_in_turn(lab)
    program, _pid = start_server(lab)
    for i in range(clients):
        client = lab.connect(f"client {i + 1}")
        message = f"client {i + 1} says hello\n".encode()
        client.send(message)
        client.expect(message)
        wait_settled(program)
        client.shutdown_write()
        client.expect_eof(timeout=3)
        client.close()


# ---- waiting for one echo, with the /proc proof that it cannot come ---------------------

def _wait_readable(sock: socket.socket, timeout: float) -> bool:
    """True as soon as the socket has data (or EOF, or an error) to report."""
    try:
        r, _, _ = select.select([sock], [], [], timeout)
    except (OSError, ValueError):
        return True  # a closed socket: let the receive report it
    return bool(r)


def await_echo(lab: LabSession, program: StudentProgram, pid: int, client: Conversation, expected: bytes,
               timeout: float = 3.0, what: str = "", others: str = "", advice: str = "") -> None:
    """Wait for `client` to receive `expected`, failing fast when /proc proves it cannot.

    The proof: the client's bytes sit unread in the server's receive queue (the
    connection still in the accept queue, or accept()ed and never read) while
    the server's main thread sleeps in a receive or send on another socket.
    Such a server serves nobody else until that one peer acts, and none of ours
    will. Both orders count, because which one happens depends on scheduling:
    the server may accept the client just before it gets stuck.
    `others` names, for the feedback, the clients that hold the server;
    `advice` (the lab's way to do it right) ends a failure's message.
    """
    start = time.monotonic()
    deadline = Deadline(timeout)
    streak = 0
    state: str | None = None  # "data", "exited" or "stuck"
    proof = ("", "")  # for "stuck": where the client is, where the server is blocked
    # Wait on the socket itself (select returns the moment the echo arrives);
    # between waits, look in /proc for the proof that it cannot arrive.
    while state is None and not deadline.expired():
        if _wait_readable(client.sock, min(0.05, deadline.remaining())):
            state = "data"
        elif not program.running():
            state = "exited"
        else:
            row = client.theirs()
            stuck = observe.stuck_on_socket(pid) if row and row.rx_queue else None
            if stuck and stuck[2] == client.local_port:
                stuck = None  # blocked on this very client: it may be about to read
            streak = streak + 1 if stuck else 0
            if stuck and streak >= 3:
                syscall, fd, peer = stuck
                accepted = row.inode in observe.socket_fds(pid).values()  # type: ignore[union-attr]
                state = "stuck"
                proof = ("accept()ed but never read" if accepted else "still in the accept queue (never accept()ed)",
                         f"{syscall}() on fd {fd}, its socket to {_who(lab, peer)}")
    waited = time.monotonic() - start
    if state is None:
        samples = observe.blocked_in_samples(pid)
        raise CheckTimeout(
            f"{client.name} sent {len(expected)} bytes and waited {waited:.1f} s for their echo{what}: "
            f"nothing came back.\nWhile it waited, the server's main thread was in: "
            f"{observe.describe_samples(samples)}.{_held_by(others)}{_held_by(advice)}")
    if state in ("data", "exited"):
        try:
            client.expect(expected, timeout=timeout if state == "data" else 0.5, what=what)
        except CheckFailed as exc:
            raise type(exc)(f"{exc}{server_exit_note(program)}") from None
        return
    where_client, where_server = proof
    raise CheckFailed(
        f"{client.name} sent {len(expected)} bytes{what} and got no echo, and /proc shows it cannot get one: "
        f"after {waited:.1f} s {client.name} was {where_client}, its bytes unread, while the server's main thread "
        f"was blocked in {where_server}.{_held_by(others)}{_held_by(advice)}")


def _who(lab: LabSession, peer_port: int) -> str:
    for conv in lab.connections():
        if getattr(conv, "local_port", None) == peer_port:
            return f"{conv.name} (127.0.0.1:{peer_port})"
    return f"127.0.0.1:{peer_port}" if peer_port else "a client"


def _held_by(others: str) -> str:
    return f"\n{others}" if others else ""


def send_or_fail(client: Conversation, data: bytes, program: StudentProgram) -> None:
    """client.send, with how the server ended added to the failure."""
    try:
        client.send(data)
    except CheckFailed as exc:
        raise CheckFailed(f"{exc}{server_exit_note(program)}") from None
