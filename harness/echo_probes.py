"""Echo probes shared by the concurrent echo labs (threaded_echo, forking_echo).

Each probe is one scripted move against the student's echo server; a check
reads as a short sequence of them. Rule: every verdict follows from a logical
witness, not from timing:

  * the idle-client witness: client A is provably accepted and served (its
    echo came back), then stays connected and silent; client B must still be
    echoed. A server that handles one client at a time is blocked in recv(A)
    and *cannot* serve B, whatever the machine's speed;
  * many clients are opened one by one, each echoed once before the next
    connects (so a small listen() backlog never overflows), then interleaved
    rounds of unique tokens check that every client gets exactly its own bytes;
  * thread and process censuses are polled from /proc with a deadline that only
    bounds the failure path.

Every failure of a concurrency probe is reported as `failed` (CheckFailed),
whichever socket happened to notice it first, so a wrong server gets the same
outcome on every run.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

from harness import observe, procfs
from harness.compare import describe_bytes_mismatch, digest
from harness.conversation import Conversation
from harness.outcomes import CheckFailed
from harness.session import Lab
from harness.waiting import poll

# ---- kernel evidence ---------------------------------------------------------


def server_evidence(lab: Lab, pid: int | None) -> str:
    """One line on what the server is doing, for a failure message."""
    parts = []
    waiting = observe.accept_queue_len(lab.port)
    if waiting:
        parts.append(f"{waiting} connection(s) were still waiting in the listen backlog, never accept()ed")
    if pid is not None:
        where = observe.blocked_in_mode(pid)
        if where:
            parts.append(f"the server's main thread was in `{where}`")
    return "; ".join(parts)


# ---- basic echo moves --------------------------------------------------------


def echo_once(client: Conversation, message: bytes, timeout: float = 3.0, what: str = "") -> None:
    client.send(message)
    client.expect(message, timeout=timeout, what=what)


def echo_large(lab: Lab, size: int = 1 << 20, seed: int = 9000) -> None:
    """size random bytes echoed byte-exact while the client reads concurrently."""
    payload = random.Random(seed).randbytes(size)
    client = lab.connect("client")
    errors: list[OSError] = []

    def send_all() -> None:
        try:
            for i in range(0, len(payload), 65536):
                client.sock.sendall(payload[i:i + 65536])
        except OSError as exc:
            errors.append(exc)

    lab.note(f"sending {size} random bytes (sha256 {digest(payload)}) in 64 KiB pieces while reading")
    sender = threading.Thread(target=send_all, daemon=True)
    sender.start()
    try:
        received = client.recv_exact(len(payload), timeout=6, what=f" (the echo of {size} bytes)")
    finally:
        client.abort()
        sender.join(5)
    problem = describe_bytes_mismatch(payload, received)
    if problem:
        raise CheckFailed(f"The echo of {size} bytes differs from what was sent:\n{problem}")


def echo_then_eof(lab: Lab, name: str = "client", timeout: float = 3.0) -> Conversation:
    """Echo a message, shut down our write side, expect the rest and then EOF.

    Returns the conversation; raises CheckFailed (with the reason) if the
    server never closes.
    """
    client = lab.connect(name)
    echo_once(client, b"first line\n")
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


# ---- concurrency ---------------------------------------------------------------


def idle_client_witness(lab: Lab, pid: int | None, timeout: float = 3.0) -> None:
    """Client A is served, then idle and connected; client B must still be echoed."""
    a = lab.connect("client A")
    echo_once(a, b"A is here\n", what=" (client A's first echo, before it goes quiet)")
    poll(lambda: observe.accept_queue_len(lab.port) == 0, 1.0)
    lab.note("client A was accepted and echoed; it now stays connected and sends nothing")
    b = lab.connect("client B")
    message = b"B must not wait for A\n"
    b.send(message)
    try:
        b.expect(message, timeout=timeout, what=" (client B's echo while client A is connected and idle)")
    except CheckFailed as exc:
        evidence = server_evidence(lab, pid)
        raise CheckFailed(
            f"{exc}\nClient B was not echoed while client A stayed connected without sending anything. "
            "The server seems to serve one client at a time: each client needs its own thread or process "
            "(started without waiting for it to finish)."
            + (f"\nEvidence: {evidence}." if evidence else "")) from None


def open_clients(lab: Lab, n: int, prefix: str = "client") -> list[Conversation]:
    """n clients, opened one by one; each is echoed once before the next connects."""
    clients = []
    for i in range(n):
        c = lab.connect(f"{prefix} {i + 1}")
        try:
            echo_once(c, f"hello from {prefix} {i + 1:02d}\n".encode(),
                      what=f" ({_clients(i)} already connected and served)")
        except CheckFailed as exc:
            raise CheckFailed(f"{exc}\nWith {_clients(i)} connected and served, client {i + 1} was not echoed: "
                              "each client needs its own thread or process.") from None
        clients.append(c)
    return clients


def _clients(n: int) -> str:
    return f"{n} other client" + ("" if n == 1 else "s")


def interleaved_rounds(clients: list[Conversation], rounds: int, seed: int) -> None:
    """Each round: every client sends a unique token (shuffled order), then each reads back its own."""
    rng = random.Random(seed)
    for r in range(rounds):
        tokens = {}
        for i in rng.sample(range(len(clients)), len(clients)):
            tokens[i] = f"c{i + 1:02d}-r{r + 1}-{rng.getrandbits(64):016x}\n".encode()
            clients[i].send(tokens[i])
        for i in rng.sample(range(len(clients)), len(clients)):
            try:
                clients[i].expect(tokens[i], timeout=3,
                                  what=f" (its own token of round {r + 1}, all {len(clients)} clients connected)")
            except CheckFailed as exc:
                raise CheckFailed(
                    f"{exc}\nIn round {r + 1}, every client sent one unique line; each must get back exactly "
                    "its own. Does every client's handler read from and write to its own connection?") from None


def many_clients(lab: Lab, n: int, rounds: int = 3, seed: int = 20) -> None:
    interleaved_rounds(open_clients(lab, n), rounds, seed)


def close_all(clients: list[Conversation]) -> None:
    """Plain close (FIN) of every client: the server sees end of stream."""
    for c in clients:
        c.close()


def census_rises(count: Callable[[], int | None], at_least: int, timeout: float = 2.0) -> int | None:
    """Poll count() until it reaches at_least; the last value seen (None if unreadable)."""
    seen: list[int | None] = [None]

    def enough() -> bool:
        seen[0] = count()
        return seen[0] is not None and seen[0] >= at_least

    poll(enough, timeout)
    return seen[0]


def census_falls(count: Callable[[], int | None], at_most: int, timeout: float = 3.0) -> int | None:
    """Poll count() until it is at most at_most; the last value seen."""
    seen: list[int | None] = [None]

    def few_enough() -> bool:
        seen[0] = count()
        return seen[0] is not None and seen[0] <= at_most

    poll(few_enough, timeout)
    return seen[0]


def live_children(pid: int) -> list[int]:
    kids = observe.children(pid)
    dead = set(observe.zombies(kids))
    return [k for k in kids if k not in dead]


def holds_connection(pid: int, server_port: int, client_port: int) -> bool:
    """Does process pid still hold the server end of this connection?"""
    row = procfs.connection(server_port, client_port)
    return bool(row and row.inode and row.inode in procfs.socket_inodes(pid))
