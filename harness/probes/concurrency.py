"""Concurrency moves: an idle client must not hold the others; many clients each get their own bytes.

Witnesses, not timing: client A is provably accepted and served, then goes
quiet; client B must still be echoed. A server that serves one client at a
time is blocked on A and *cannot* serve B, whatever the machine's speed.
Many clients are opened one by one, each echoed before the next connects
(so a small listen() backlog never overflows), then rounds of unique tokens
in shuffled order check that each gets exactly its own bytes.

Outcome: a client not served here is `failed` whether /proc proved it at once
or the deadline ran out: the witness is logical, so which of the two noticed
first must not change the verdict.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from contextlib import contextmanager

from harness import observe
from harness.compare import describe_bytes_mismatch, shorten
from harness.conversation import Conversation
from harness.launch import StudentProgram, describe_exit
from harness.outcomes import CheckFailed, CheckTimeout, HarnessError
from harness.probes.echo import await_echo, send_or_fail
from harness.probes.server import quiet_connect, server_exit_note, start_server, wait_settled
from harness.session import LabSession
from harness.waiting import poll


def idle_client(lab: LabSession, wait: float = 3.0, advice: str = "") -> None:
    """Client A is served, then goes quiet mid-line; client B must still get its echo."""
    program, pid = start_server(lab)
    a = lab.connect("client A")
    a.send(b"A: first line\n")
    a.expect(b"A: first line\n", what=" (client A, before it goes quiet)")
    if observe.accept_queue_len(lab.port) is None:
        raise CheckFailed(f"After serving client A the server no longer listens on port {lab.port}: "
                          "keep the listening socket open.")
    if not poll(lambda: observe.accept_queue_len(lab.port) == 0, 2.0):
        raise HarnessError("client A was echoed, yet the accept queue is not empty")
    a.send(b"A: half a line, and then A goes quiet")
    # Formerly racy: a server that answers on the wrong socket (the last one
    # accepted) sent A's half line to A or to B depending on whether B was
    # accepted first. B now connects only once /proc shows the server has read
    # the half line and settled, so that answer is handled before B exists.
    a.wait_consumed()
    wait_settled(program)
    lab.note("client A has been accepted and served; it now goes quiet in the middle of a line "
             "(sends nothing more, reads nothing, does not close)")
    b = lab.connect("client B")
    b.send(b"B: hello\n")
    with failed_not_timeout():
        await_echo(lab, program, pid, b, b"B: hello\n", timeout=wait, what=" while client A is quiet",
                   others="Client A connected first, was served once, and has been quiet since, "
                          "in the middle of a line: it holds the server.", advice=advice)


def many_clients(lab: LabSession, clients: int, rounds: int, seed: int | None = None, advice: str = "") -> None:
    """`clients` connected at once, rounds of unique tokens in shuffled order; each gets exactly its own.

    Formerly racy: halfway, one client sent a token and aborted (RST) at once,
    so the server read the token and failed in send(), or failed in recv(),
    or neither, by scheduling, and the same server scored differently from
    run to run. labs.md asks nothing about resets here (survives_reset
    judges them, with the schedule arranged), so the abort is gone: nothing
    in this move depends on the order in which the kernel runs the server.
    """
    rng = random.Random(lab.port if seed is None else seed)
    program, pid = start_server(lab)
    with failed_not_timeout():
        conns = _open_clients(lab, program, pid, clients, advice)
    everyone = list(range(clients))
    for k in range(rounds):
        tokens = {i: f"c{i + 1}-r{k + 1}-{rng.getrandbits(64):016x}\n".encode() for i in everyone}
        order = everyone[:]
        rng.shuffle(order)
        for i in order:
            send_or_fail(conns[i], tokens[i], program)
        rng.shuffle(order)
        with failed_not_timeout():
            for i in order:
                _expect_token(conns[i], tokens[i], k + 1, program, pid, clients)
        lab.note(f"round {k + 1}: {clients} clients each sent a unique token (shuffled order) "
                 "and each received exactly its own")
    if not program.running():
        raise CheckFailed(f"Every echo arrived, but then the server {describe_exit(program.poll() or 0)}.")


def _open_clients(lab: LabSession, program: StudentProgram, pid: int, n: int, advice: str) -> list[Conversation]:
    conns: list[Conversation] = []
    for i in range(n):
        c = quiet_connect(lab, f"client {i + 1}")
        hello = f"hello from client {i + 1}\n".encode()
        send_or_fail(c, hello, program)
        await_echo(lab, program, pid, c, hello, what=f" (its hello; {first_clients(i)} still connected)" if i else " (its hello)",
                   others=f"{first_clients(i).capitalize()} connected and idle; the server must not wait on any of them."
                   if i else "", advice=advice)
        conns.append(c)
    lab.note(f"{n} clients connected one by one; each got its hello echoed and stays connected")
    return conns


@contextmanager
def failed_not_timeout() -> Iterator[None]:
    """Within it, a CheckTimeout becomes CheckFailed with the same message (see the module's outcome rule)."""
    try:
        yield
    except CheckTimeout as exc:
        raise CheckFailed(str(exc)) from None


def first_clients(n: int) -> str:
    """'client 1 is' / 'clients 1-7 are'"""
    return "client 1 is" if n == 1 else f"clients 1-{n} are"


_TOKEN = re.compile(rb"c(\d+)-r(\d+)-")


def _expect_token(client: Conversation, token: bytes, round_no: int, program: StudentProgram, pid: int,
                  connected: int) -> None:
    try:
        got = client.recv_exact(len(token), timeout=3, what=f" (its round-{round_no} token, {connected} clients connected)")
    except CheckTimeout as exc:
        raise CheckTimeout(f"{exc}\nThe server's main thread was in: "
                           f"{observe.describe_samples(observe.blocked_in_samples(pid))}.") from None
    except CheckFailed as exc:
        raise CheckFailed(f"{exc}{server_exit_note(program)}") from None
    if got == token:
        return
    owner = _TOKEN.match(got)
    whose = ""
    if owner and owner.group(1) != _TOKEN.match(token).group(1):  # type: ignore[union-attr]
        whose = (f"\nThat is client {owner.group(1).decode()}'s token of round {owner.group(2).decode()}: "
                 "the server sent one client's bytes to another. Does every client's handler read from and "
                 "write to its own connection?")
    raise CheckFailed(f"{client.name} sent {shorten(token)} in round {round_no} and received {shorten(got)}.{whose}\n"
                      f"{describe_bytes_mismatch(token, got)}")
