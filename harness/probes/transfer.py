"""A duplex transfer on one client socket, from one thread: `Transfer`.

Used by the moves that move megabytes (echo_large, shutdown_flush_backlogged,
slow_reader): one thread and a non-blocking socket, so the harness never
deadlocks with a server that stops reading until we read, and never races
itself. `judge` compares every byte (fast on megabytes) and reports the first
differing offset.
"""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Callable

from harness.compare import digest
from harness.conversation import Conversation
from harness.launch import StudentProgram
from harness.outcomes import CheckFailed, CheckTimeout
from harness.probes.server import server_exit_note
from harness.waiting import Deadline


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
        self.stuck = ""  # the stall proof that ended run() early (harness.stall)

    @property
    def received_len(self) -> int:
        return len(self.received)

    @property
    def all_sent(self) -> bool:
        return self.sent >= len(self.payload)

    def run(self, done: Callable[[], bool], read: bool, timeout: float, idle: float | None = None,
            stop_early: Callable[[], bool] | None = None, stall: bool = False) -> bool:
        """Pump until done() (True), or False: at the deadline, after `idle` seconds in which
        no byte moved either way, or when stop_early() holds while nothing moves. With `stall`
        (done() waits for bytes or EOF from the server), also once every byte is sent and the
        client's stall proof (harness.stall) shows nothing can come by the deadline (self.stuck)."""
        sock = self.client.sock
        sock.setblocking(False)
        deadline = Deadline(timeout)
        quiet = Deadline(idle if idle is not None else timeout)
        end = time.monotonic() + min(timeout, idle if idle is not None else timeout)
        next_look = Deadline(self.client.STALL_FIRST)
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
                    end = min(deadline.end, quiet.end)
                    next_look = Deadline(self.client.STALL_FIRST)
                elif stop_early is not None and stop_early():
                    return False
                elif stall and self.all_sent and self.client.stall is not None and next_look.expired():
                    next_look = Deadline(self.client.STALL_EVERY)
                    self.stuck = self.client.stall(end) or ""
                    if self.stuck:
                        self.client.transcript.note(self.client.name, f"stopped waiting: {self.stuck}")
                        return False
            return True
        finally:
            sock.setblocking(True)
            sock.settimeout(self.client.timeout)

    def fill_until_still(self, sample: Callable[[], object], timeout: float, samples: int = 3) -> bool:
        """Send without reading until nothing can move any more: every byte sent or our send
        buffer full, and sample() (the kernel's queues and whether the server sleeps; None:
        no evidence) the same on `samples` looks in a row. False at the deadline."""
        sock = self.client.sock
        sock.setblocking(False)
        deadline = Deadline(timeout)
        last: object = None
        same = 0
        try:
            while not deadline.expired() and not self.failure:
                if not self.all_sent:
                    self._send_some(sock)
                now = (self.sent, sample())
                same = same + 1 if now[1] is not None and now == last else 0
                if same >= samples:
                    return True
                last = now
                # poll: a few ms between looks (or sooner, once our socket takes more bytes)
                select.select([], [sock] if not self.all_sent else [], [], min(0.003, deadline.remaining()))
            return False
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

    def judge(self, what: str, eof: bool, on_mismatch: str = "", on_early_eof: str = "",
              short_fails: bool = False) -> None:
        """CheckFailed/CheckTimeout unless every byte came back in order (and EOF, if asked).

        on_mismatch / on_early_eof: advice added when bytes differ / the server closed too early.
        short_fails: an echo that came back in part and then stopped is `failed` (with on_mismatch's
        advice), not `timeout`: the server was serving this client and lost or kept the rest. For a move
        where the same lost bytes show as a gap (`failed`) or as a short tail, as the server's reads and
        partial sends happened to interleave (the machine's load, the sandbox's buffers): one outcome
        for both. Nothing at all back is still `timeout`.
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
            cls = (CheckTimeout if self.program.running() and not self.eof and not (short_fails and got)
                   else CheckFailed)
            ending = ("then the server closed the connection" if self.eof
                      else f"then nothing more arrived; {self.stuck}" if self.stuck
                      else "then nothing more arrived for a while")
            advice = (_advice(on_early_eof) if self.eof and self.program.running()
                      else _advice(on_mismatch) if self.stuck or (short_fails and got) else "")
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

