"""Reusable moves against echo-like servers: echo checks, concurrency witnesses
and a process census. A lab's checks.py calls them as one-line scripts.

Rule 1: every verdict rests on something the kernel guarantees or shows in
/proc (who is in the accept queue, what the server is blocked in, what is
queued on its sockets), never on timing. Deadlines bound only the failure
path; a correct server passes as soon as the condition holds.

Rule 2: a probe fails with CheckFailed / CheckTimeout whose message stands on
its own: what was sent, what was expected, what came back, and what /proc
showed. The check's transcript is capped (200 events), so bulk clients talk
into a private transcript (`quiet_connect`) and the probe notes a summary.
Any OSError on a harness socket caused by the student's program is turned
into CheckFailed here, never left to become a harness `error`.
"""

from __future__ import annotations

import ast
import random
import re
import select
import socket
import time
from collections.abc import Callable
from pathlib import Path

from harness import observe, procfs
from harness.compare import describe_bytes_mismatch, digest, shorten
from harness.conversation import Conversation
from harness.launch import StudentProgram, describe_exit
from harness.outcomes import CheckFailed, CheckTimeout, HarnessError, ProgramCrashed
from harness.session import Lab
from harness.transcript import Transcript
from harness.waiting import Deadline, poll

accept_queue_len = observe.accept_queue_len  # re-exported: probes read as one vocabulary


# ---- small moves -----------------------------------------------------------------

def server_pid(program: StudentProgram, timeout: float = 2.0) -> int:
    """The pid running the student's file; ProgramCrashed if it is gone."""
    pid = program.wait_main_pid(timeout)
    if pid is None or pid < 0 or not program.running():
        raise ProgramCrashed(f"The server {describe_exit(program.poll() or 0)} before the check could observe it.\n"
                             f"Its stderr ends with:\n{program.stderr_tail()}")
    return pid


def quiet_connect(lab: Lab, name: str, **kw: object) -> Conversation:
    """A client whose traffic stays out of the check's transcript (still aborted at teardown)."""
    conv = Conversation(lab.port, Transcript(limit=0), name=name, **kw)  # type: ignore[arg-type]
    lab.conversations.append(conv)
    return conv


def server_exit_note(program: StudentProgram) -> str:
    """'' while the server runs; otherwise a sentence saying how it ended."""
    code = program.poll()
    if code is None:
        return ""
    return f"\nThe server {describe_exit(code)} during the check."


def _wait_readable(sock: socket.socket, timeout: float) -> bool:
    """True as soon as the socket has data (or EOF, or an error) to report."""
    try:
        r, _, _ = select.select([sock], [], [], timeout)
    except (OSError, ValueError):
        return True  # a closed socket: let the receive report it
    return bool(r)


def await_echo(lab: Lab, program: StudentProgram, pid: int, client: Conversation, expected: bytes,
               timeout: float = 3.0, what: str = "", others: str = "") -> None:
    """Wait for `client` to receive `expected`, failing fast when /proc proves it cannot.

    The proof: the client's bytes sit unread in the server's receive queue (the
    connection still in the accept queue, or accept()ed and never read) while
    the server's main thread sleeps in a receive or send on another socket.
    Such a server serves nobody else until that one peer acts, and none of ours
    will. Both orders count, because which one happens depends on scheduling:
    the server may accept the client just before it gets stuck.
    `others` names, for the feedback, the clients that hold the server.
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
            row = procfs.connection(lab.port, client.local_port)
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
            f"{observe.describe_samples(samples)}.{_held_by(others)}")
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
        f"was blocked in {where_server}.{_held_by(others)}\n"
        "A select() server waits in select() for all its sockets at once, and only calls recv() or send() on a "
        "socket that select() reported ready, with every socket in non-blocking mode.")


def _who(lab: Lab, peer_port: int) -> str:
    for conv in lab.conversations:
        if getattr(conv, "local_port", None) == peer_port:
            return f"{conv.name} (127.0.0.1:{peer_port})"
    return f"127.0.0.1:{peer_port}" if peer_port else "a client"


def _held_by(others: str) -> str:
    return f"\n{others}" if others else ""


# ---- echo checks shared with tcp_echo ---------------------------------------------------

def echo_short(lab: Lab) -> None:
    lab.server()
    client = lab.connect("client")
    client.send(b"hello, echo\n")
    client.expect(b"hello, echo\n")


def echo_no_newline(lab: Lab) -> None:
    lab.server()
    client = lab.connect("client")
    client.send(b"no newline at the end")
    client.expect(b"no newline at the end", timeout=3,
                  what=" (the server must echo what it received without waiting for a newline)")


def echo_several(lab: Lab) -> None:
    lab.server()
    client = lab.connect("client")
    for i, message in enumerate([b"first\n", b"second message\n", b"third, and the last\n"]):
        client.send(message)
        client.expect(message, what=f" (message {i + 1} of 3)")


def echo_large(lab: Lab, size: int = 1 << 20, seed: int = 9000) -> None:
    """Send `size` random bytes while reading the echo concurrently (one thread, select)."""
    payload = random.Random(seed).randbytes(size)
    program = lab.server()
    client = lab.connect("client")
    lab.note(f"sending {size} random bytes (sha256 {digest(payload)}) while reading the echo")
    transfer = Transfer(client, payload, program)
    transfer.run(lambda: transfer.received_len >= size, read=True, timeout=6)
    transfer.judge(what=f"The echo of {size} bytes", eof=False)


def echo_bytewise(lab: Lab) -> None:
    message = b"one byte at a time\n"
    lab.server()
    client = lab.connect("client")
    client.send_fragments([message[i:i + 1] for i in range(len(message))])
    client.expect(message)


def all_byte_values(lab: Lab) -> None:
    payload = bytes(range(256)) * 4
    lab.server()
    client = lab.connect("client")
    client.send(payload)
    client.expect(payload)


# Asleep waiting for the next event: in select/poll/epoll, accept, or (a blocking server) a receive.
IDLE = observe.WAITING_FOR_IO | {"accept", "accept4", "read", "recvfrom", "recvmsg"}


def clients_in_turn(lab: Lab, clients: int = 5, wait_idle: bool = False) -> None:
    """Clients one after another: each is echoed, shuts down its side and sees the server close.

    wait_idle: before each FIN, wait (at most 1 s) until the server sleeps in
    select/poll/epoll, i.e. it has finished with the echo. A server whose FIN
    handling collides with its own pending write then fails or passes the
    same way every run, instead of by a race (the PyMOTW server's KeyError).
    """
    program = lab.server()
    pid = server_pid(program) if wait_idle else 0
    for i in range(clients):
        client = lab.connect(f"client {i + 1}")
        message = f"client {i + 1} says hello\n".encode()
        client.send(message)
        client.expect(message)
        if wait_idle:
            poll(lambda: observe.blocked_in(pid) in IDLE, 1.0)
        client.shutdown_write()
        client.expect_eof(timeout=3)
        client.close()


def survives_reset(lab: Lab) -> None:
    program = lab.server()
    first = lab.connect("client A")
    first.send(b"before the reset\n")
    first.expect(b"before the reset\n")
    first.send(b"unread data, then RST\n")
    first.abort()
    second = lab.connect("client B")
    second.send(b"after the reset\n")
    try:
        second.expect(b"after the reset\n")
    except CheckFailed:
        if program.wait(1.0) is not None:  # bounded: only on the failure path
            lab.note("the server exited after client A's reset: catch ConnectionResetError around recv()/send()")
        raise


def shutdown_flush(lab: Lab) -> None:
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


# ---- a duplex transfer on one socket, from one thread ------------------------------------

class Transfer:
    """Send `payload` on a client's socket and (optionally) read what comes back, with select().

    One thread and a non-blocking socket, so the harness never deadlocks with
    a server that stops reading until we read, and never races itself.
    """

    CHUNK = 256 << 10

    def __init__(self, client: Conversation, payload: bytes, program: StudentProgram,
                 shutdown_when_sent: bool = False) -> None:
        self.client, self.payload, self.program = client, memoryview(payload), program
        self.expected = payload
        self.shutdown_when_sent = shutdown_when_sent
        self.sent = 0
        self.received = bytearray()
        self.eof = False
        self.shut = False
        self.failure: str | None = None

    @property
    def received_len(self) -> int:
        return len(self.received)

    @property
    def all_sent(self) -> bool:
        return self.sent >= len(self.payload)

    def run(self, done: Callable[[], bool], read: bool, timeout: float, idle: float | None = None,
            stop_early: Callable[[], bool] | None = None) -> bool:
        """Pump until done() (True), or False: at the deadline, after `idle` seconds in which
        no byte moved either way, or when stop_early() holds while nothing moves."""
        sock = self.client.sock
        sock.setblocking(False)
        deadline = Deadline(timeout)
        quiet = Deadline(idle if idle is not None else timeout)
        try:
            while not done():
                if self.failure or deadline.expired() or quiet.expired():
                    return False
                want_w = [sock] if not self.all_sent else []
                want_r = [sock] if read and not self.eof else []
                if not want_w and not want_r:
                    return False
                moved = self.sent + len(self.received)
                r, w, _ = select.select(want_r, want_w, [], min(0.05, deadline.remaining()))
                if w:
                    self._send_some(sock)
                if r:
                    self._recv_some(sock)
                if self.sent + len(self.received) != moved:
                    quiet = Deadline(idle if idle is not None else timeout)
                elif stop_early is not None and stop_early():
                    return False
            return True
        finally:
            sock.setblocking(True)
            sock.settimeout(self.client.timeout)

    def _send_some(self, sock: socket.socket) -> None:
        try:
            n = sock.send(self.payload[self.sent:self.sent + self.CHUNK])
        except BlockingIOError:
            return
        except OSError as exc:
            self.failure = f"sending failed after {self.sent} of {len(self.payload)} bytes: {exc}"
            return
        self.sent += n
        if self.all_sent and self.shutdown_when_sent and not self.shut:
            try:
                sock.shutdown(socket.SHUT_WR)
            except OSError as exc:
                self.failure = f"shutting down the write side failed: {exc}"
                return
            self.shut = True
            self.client.transcript.note(self.client.name, f"sent all {self.sent} bytes, then shut down its write side (FIN)")

    def _recv_some(self, sock: socket.socket) -> None:
        try:
            data = sock.recv(1 << 20)
        except BlockingIOError:
            return
        except OSError as exc:
            self.failure = f"receiving failed after {len(self.received)} bytes: {exc}"
            return
        if data:
            self.received += data
        else:
            self.eof = True
            self.client.transcript.note(self.client.name, f"received {len(self.received)} bytes in all, then end of stream")

    def judge(self, what: str, eof: bool, on_mismatch: str = "", on_early_eof: str = "") -> None:
        """CheckFailed/CheckTimeout unless every byte came back in order (and EOF, if asked).

        on_mismatch / on_early_eof: advice added when bytes differ / the server closed too early.
        """
        expected, got = self.expected, bytes(self.received)
        name = self.client.name
        summary = (f"{name} sent {self.sent} of {len(expected)} bytes (sha256 {digest(expected)}) and received "
                   f"{len(got)} bytes (sha256 {digest(got)})")
        if got != expected[:len(got)]:
            raise CheckFailed(f"{what}: the bytes differ.\n{summary}\n{_fast_mismatch(expected, got)}"
                              f"{_advice(on_mismatch)}{server_exit_note(self.program)}")
        if self.failure:
            raise CheckFailed(f"{what}: {name}'s {self.failure}.\n{summary}{server_exit_note(self.program)}")
        if len(got) < len(expected):
            cls = CheckTimeout if self.program.running() and not self.eof else CheckFailed
            ending = ("then the server closed the connection" if self.eof
                      else "then nothing more arrived for a while")
            advice = _advice(on_early_eof) if self.eof and self.program.running() else ""
            raise cls(f"{what}: only {len(got)} of {len(expected)} bytes came back ({ending}).\n{summary}"
                      f"{advice}{server_exit_note(self.program)}")
        if len(got) > len(expected):
            raise CheckFailed(f"{what}: {len(got) - len(expected)} extra bytes came back.\n{summary}")
        if eof and not self.eof:
            raise CheckTimeout(f"{what}: every byte came back, but the server did not close the connection "
                               f"after the client's FIN.\n{summary}")


def _fast_mismatch(expected: bytes, received: bytes) -> str:
    """Like compare.describe_bytes_mismatch, fast on megabytes (chunked search for the first difference)."""
    n = min(len(expected), len(received))
    lo, step = 0, 65536
    while lo < n and expected[lo:lo + step] == received[lo:lo + step]:
        lo += step
    off = next((i for i in range(lo, min(n, lo + step)) if expected[i] != received[i]), n)
    view = 24
    a = max(0, off - view)
    return (f"first difference at byte offset {off}\n"
            f"  expected[{a}:{off + view}] = {bytes(expected[a:off + view])!r}\n"
            f"  received[{a}:{off + view}] = {bytes(received[a:off + view])!r}")


def _advice(text: str) -> str:
    return f"\n{text}" if text else ""


# ---- concurrency: the idle client, many clients, a slow reader ------------------------

def idle_client_witness(lab: Lab, wait: float = 3.0) -> None:
    """Client A is served, then goes quiet mid-line; client B must still get its echo."""
    program = lab.server()
    pid = server_pid(program)
    a = lab.connect("client A")
    a.send(b"A: first line\n")
    a.expect(b"A: first line\n", what=" (client A, before it goes quiet)")
    if accept_queue_len(lab.port) is None:
        raise CheckFailed(f"After serving client A the server no longer listens on port {lab.port}: "
                          "keep the listening socket open and in your select() list.")
    if not poll(lambda: accept_queue_len(lab.port) == 0, 2.0):
        raise HarnessError("client A was echoed, yet the accept queue is not empty")
    a.send(b"A: half a line, and then A goes quiet")
    lab.note("client A has been accepted and served; it now goes quiet in the middle of a line "
             "(sends nothing more, reads nothing, does not close)")
    b = lab.connect("client B")
    b.send(b"B: hello\n")
    await_echo(lab, program, pid, b, b"B: hello\n", timeout=wait, what=" while client A is quiet",
               others="Client A connected first, was served once, and has been quiet since, "
                      "in the middle of a line: it holds the server.")


def many_clients_interleaved(lab: Lab, clients: int = 50, rounds: int = 4, seed: int = 10000) -> None:
    """`clients` connected at once, rounds of unique tokens in shuffled order; one client aborts halfway."""
    rng = random.Random(seed)
    program = lab.server()
    pid = server_pid(program)
    conns: list[Conversation] = []
    for i in range(clients):
        c = quiet_connect(lab, f"client {i + 1}")
        hello = f"hello from client {i + 1}\n".encode()
        _send(c, hello, program)
        await_echo(lab, program, pid, c, hello, what=f" (its hello; {_first(i)} still connected)" if i else " (its hello)",
                   others=f"{_first(i).capitalize()} connected and idle; the server must not wait on any of them." if i else "")
        conns.append(c)
    lab.note(f"{clients} clients connected one by one; each got its hello echoed and stays connected")
    alive = list(range(clients))
    victim = rng.randrange(clients)
    for k in range(rounds):
        if k == rounds // 2:
            _send(conns[victim], f"c{victim + 1}-r{k + 1}-unread\n".encode(), program)
            conns[victim].abort()
            alive.remove(victim)
            lab.note(f"round {k + 1}: client {victim + 1} sent a token and aborted (RST) without reading its echo; "
                     "the other clients go on")
        tokens = {i: f"c{i + 1}-r{k + 1}-{rng.getrandbits(64):016x}\n".encode() for i in alive}
        order = alive[:]
        rng.shuffle(order)
        for i in order:
            _send(conns[i], tokens[i], program)
        order = alive[:]
        rng.shuffle(order)
        for i in order:
            _expect_token(conns[i], tokens[i], k + 1, program, pid)
        lab.note(f"round {k + 1}: {len(alive)} clients each sent a unique token (shuffled order) "
                 "and each received exactly its own")
    if not program.running():
        raise CheckFailed(f"Every echo arrived, but then the server {describe_exit(program.poll() or 0)}.")


def _first(n: int) -> str:
    """'client 1 is' / 'clients 1-7 are'"""
    return "client 1 is" if n == 1 else f"clients 1-{n} are"


def _send(client: Conversation, data: bytes, program: StudentProgram) -> None:
    try:
        client.send(data)
    except CheckFailed as exc:
        raise CheckFailed(f"{exc}{server_exit_note(program)}") from None


_TOKEN = re.compile(rb"c(\d+)-r(\d+)-")


def _expect_token(client: Conversation, token: bytes, round_no: int, program: StudentProgram, pid: int) -> None:
    try:
        got = client.recv_exact(len(token), timeout=3, what=f" (its round-{round_no} token)")
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
                 "the server sent one client's bytes to another.")
    raise CheckFailed(f"{client.name} sent {shorten(token)} in round {round_no} and received {shorten(got)}.{whose}\n"
                      f"{describe_bytes_mismatch(token, got)}")


SMALL_WMEM = "4096 16384 262144"  # per-namespace: the server's send buffers stay small,
SMALL_RMEM = "4096 65536 262144"  # so a backlog of echo data is certain, not likely


def small_kernel_buffers(lab: Lab) -> None:
    """Before the server starts: cap TCP buffer autotuning in this check's network namespace."""
    lab.set_sysctl("net.ipv4.tcp_wmem", SMALL_WMEM)
    lab.set_sysctl("net.ipv4.tcp_rmem", SMALL_RMEM)


def push_without_reading(lab: Lab, program: StudentProgram, client: Conversation, payload: bytes,
                         absorb_timeout: float = 4.0) -> Transfer:
    """Send all of `payload` and then FIN on `client`, reading nothing.

    A server that keeps reading takes it all at once. One that stops reading
    while it owes the client data (flow control) is allowed: then we move on
    after absorb_timeout. One with a thread stuck in a blocking send moves us
    on at once (/proc, 3 samples in a row).
    """
    transfer = Transfer(client, payload, program, shutdown_when_sent=True)

    def stuck_sending() -> bool:
        return any(s in SENDING for s in observe.blocked_in_threads(program.pids()))

    transfer.run(lambda: transfer.shut, read=False, timeout=absorb_timeout, stop_early=_streak(stuck_sending, 3))
    if transfer.failure:
        transfer.judge(what=client.name, eof=True)
    lab.note(f"{client.name} has sent {transfer.sent} bytes{' and its FIN' if transfer.shut else ''} without reading")
    return transfer


SENDING = frozenset({"write", "sendto", "sendmsg"})


def read_back(transfer: Transfer, what: str) -> None:
    """Read until EOF (while sending whatever is left), then judge every byte."""
    transfer.run(lambda: transfer.eof, read=True, timeout=20.0, idle=3.0)
    transfer.judge(
        what=what, eof=True,
        on_mismatch="Bytes went missing in the middle of the stream: that is what happens when send() takes only "
                    "part of a buffer and the program forgets the rest. Use the count send() returns.",
        on_early_eof="The server closed the connection while it still owed the client data. When recv() returns "
                     "b'' the client has only stopped sending: stop reading from it, send everything still queued "
                     "for it, and close it after that.")


def shutdown_flush_backlogged(lab: Lab, size: int = 1 << 20) -> None:
    """The client sends `size` bytes and FIN before reading; all of the echo must come back, then EOF.

    The client's receive buffer and the server's send buffer are small, so when
    the server reads the FIN it still holds most of the echo in its own queue.
    """
    small_kernel_buffers(lab)
    lines = b"".join(b"line %06d of the text\n" % i for i in range(size // 23))
    payload = lines + b"and an unterminated last line"
    program = lab.server()
    client = lab.connect("client", rcvbuf=4096)
    lab.note(f"the client (receive buffer 4096 bytes) sends {len(payload)} bytes of text and shuts down its write "
             "side before it reads anything: most of the echo is still queued in the server when it sees EOF")
    transfer = push_without_reading(lab, program, client, payload)
    read_back(transfer, "The echo after the client's FIN")


def slow_reader(lab: Lab, size: int = 8 << 20, rcvbuf: int = 4096, others: int = 3, seed: int = 10001) -> None:
    """A client sends `size` bytes without reading, then FIN; others are served; it then reads it all back."""
    small_kernel_buffers(lab)
    payload = random.Random(seed).randbytes(size)
    program = lab.server()
    pid = server_pid(program)
    slow = lab.connect("slow client", rcvbuf=rcvbuf)
    lab.note(f"the slow client (receive buffer {rcvbuf} bytes) sends {size} random bytes "
             f"(sha256 {digest(payload)}) and reads nothing yet")
    transfer = push_without_reading(lab, program, slow, payload)
    backed_up = poll(lambda: _tx(lab, slow) > 0, 3.0)
    if backed_up:
        lab.note(f"/proc: the server's socket to the slow client has {_tx(lab, slow)} bytes queued "
                 "(the slow client's receive buffer is full)")
    else:
        lab.note("/proc: the server's socket to the slow client has nothing queued: it has not echoed anything")
    for j in range(others):
        c = lab.connect(f"client {j + 1}")
        message = f"client {j + 1}: am I served while the slow client is not reading?\n".encode()
        _send(c, message, program)
        await_echo(lab, program, pid, c, message, what=" (while the slow client is not reading)",
                   others="The slow client has sent megabytes without reading its echo: a server that sends "
                          "with a blocking send()/sendall() is stuck writing to it.")
    read_back(transfer, "The slow client's echo")


def _tx(lab: Lab, client: Conversation) -> int:
    row = procfs.connection(lab.port, client.local_port)
    return row.tx_queue if row else 0


def _streak(predicate: Callable[[], bool], needed: int) -> Callable[[], bool]:
    """A predicate that holds once `predicate` held on `needed` consecutive calls."""
    count = 0

    def check() -> bool:
        nonlocal count
        count = count + 1 if predicate() else 0
        return count >= needed

    return check


# ---- what the server is: threads, children, descriptors -----------------------------------

def single_thread_census(lab: Lab, clients: int = 20, samples: int = 7) -> None:
    """With `clients` connected (each served once): 1 thread, no child process, waiting in select/poll/epoll."""
    program = lab.server()
    pid = server_pid(program)
    for i in range(clients):
        c = quiet_connect(lab, f"client {i + 1}")
        hello = f"client {i + 1} checks in\n".encode()
        _send(c, hello, program)
        await_echo(lab, program, pid, c, hello, what=f" (its hello; {_first(i)} still connected)" if i else " (its hello)",
                   others=f"{_first(i).capitalize()} connected and idle." if i else "")
    lab.note(f"{clients} clients are connected; each has been echoed once")
    threads = observe.thread_count(pid)
    kids = observe.children(pid)
    seen = observe.blocked_in_samples(pid, samples, 0.01)
    problems = []
    if threads is not None and threads != 1:
        problems.append(f"the server process has {threads} threads (expected exactly 1: the lab asks for one thread "
                        "that serves every client with select(), not a thread per client)")
    if kids:
        problems.append(f"the server has {len(kids)} child process(es) (expected none: no fork() per client)")
    readable_samples = [s for s in seen if s]
    waiting = [s for s in readable_samples if s in observe.WAITING_FOR_IO]
    if readable_samples and len(waiting) * 2 <= len(readable_samples):
        problems.append(f"its main thread was not waiting in select/poll/epoll while all clients were idle; "
                        f"{samples} samples of /proc/{pid}/syscall showed: {observe.describe_samples(seen)}")
    if not readable_samples:
        lab.note("/proc/PID/syscall is unreadable here: the select/poll/epoll part was not checked")
    if problems:
        raise CheckFailed(f"While {clients} clients were connected, " + ";\n".join(problems) + ".")
    lab.note(f"1 thread, no child process, main thread in: {observe.describe_samples(seen)}")


def descriptors_return(lab: Lab, connections: int = 200, batch: int = 10, timeout: float = 3.0) -> None:
    """After `connections` clients (in batches held at once) connect, echo and close, the fd count is back."""
    program = lab.server()
    pid = server_pid(program)
    if not poll(lambda: observe.blocked_in(pid) in IDLE, 2.0):
        lab.note("the server was not seen waiting in select/poll/epoll/accept before the first client")
    start = observe.fd_count(pid)
    if start is None:
        raise HarnessError(f"cannot read /proc/{pid}/fd here")
    lab.note(f"before any client: {start} open descriptors ({_kinds(pid)})")
    done = 0
    while done < connections:
        group = []
        for i in range(done, min(done + batch, connections)):
            c = quiet_connect(lab, f"client {i + 1}")
            hello = f"client {i + 1} of {connections}\n".encode()
            _send(c, hello, program)
            await_echo(lab, program, pid, c, hello, what=f" (client {i + 1} of {connections})")
            group.append(c)
        # Close only once the server sleeps again (as in clients_in_turn), so a
        # server whose EOF handling races its own pending write fails or passes
        # the same way every run.
        poll(lambda: observe.blocked_in(pid) in IDLE, 1.0)
        for c in group:
            c.close()  # FIN: the server sees EOF; TIME_WAIT stays on our side
        done += len(group)
    lab.note(f"{connections} clients connected (up to {batch} at once), each got its echo and closed (FIN)")

    def back() -> bool:
        n = observe.fd_count(pid)
        return n is not None and n <= start

    if poll(back, timeout):
        return
    now = observe.fd_count(pid)
    states = observe.socket_states(pid)
    waiting = states.get("CLOSE_WAIT", 0) + states.get("CLOSE", 0)
    advice = ""
    if waiting:
        advice = (f"\n{waiting} of its sockets belong to clients that have closed (state CLOSE_WAIT or closed): "
                  "when recv() returns b'' (or raises), remove the socket from your lists and dictionaries "
                  "*and* call close() on it.")
    raise CheckFailed(
        f"The server had {start} open descriptors before the first client. {connections} clients then connected, "
        f"were echoed and closed their side, and {timeout:g} s later it still has {now} ({_kinds(pid)}): "
        f"{(now or 0) - start} more than at the start.{advice}{server_exit_note(program)}")


def _kinds(pid: int) -> str:
    kinds = observe.fd_kinds(pid)
    return ", ".join(f"{n} {kind}{'s' if n > 1 and kind in ('socket', 'pipe', 'file') else ''}"
                     for kind, n in sorted(kinds.items())) or "none"


# ---- reading the source --------------------------------------------------------------

def discarded_send_calls(source: str) -> list[tuple[int, str]]:
    """(line, code) of every statement that calls `<something>.send(...)` and drops the result.

    That is an expression statement whose value is a call (possibly awaited) to
    an attribute named `send`. `sendall` is not `send`; a result that is
    assigned, returned or compared counts as used. Raises SyntaxError.
    """
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Expr):
            continue
        value = node.value.value if isinstance(node.value, ast.Await) else node.value
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "send":
            code = ast.get_source_segment(source, node) or ast.unparse(node)
            found.append((node.lineno, code.splitlines()[0].strip()))
    return sorted(found)


def send_count_used(lab: Lab) -> None:
    """Fail (with line numbers) when the submission discards the count returned by a send() call."""
    path = Path(lab.submission) / lab.spec.file
    try:
        source = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise CheckFailed(f"cannot read {lab.spec.file}: {exc.strerror}") from None
    try:
        calls = discarded_send_calls(source)
    except SyntaxError as exc:
        raise CheckFailed(f"{lab.spec.file} does not parse (line {exc.lineno}): {exc.msg}") from None
    lab.note(f"read {lab.spec.file} with Python's ast module: {len(calls)} send() call(s) whose result is dropped")
    if calls:
        where = "\n".join(f"  line {line}: {code}" for line, code in calls)
        raise CheckFailed(
            f"{lab.spec.file} calls send() and ignores the number it returns:\n{where}\n"
            "send() on a non-blocking socket may write only part of the buffer and returns how many bytes it took. "
            "Keep the rest queued (e.g. `sent = sock.send(queue); del queue[:sent]`) and send it when select() "
            "reports the socket writable again. (sendall() does not return a count, but it blocks: not for a "
            "non-blocking server.)")
