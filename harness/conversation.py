"""Scripted TCP conversations: the harness as a client of the student's server.

Rule: every socket operation has a deadline, and everything sent or received
goes into the check's transcript. The harness obeys what it tests: it never
assumes one recv() is one message.

A Conversation closes abortively (RST) by default, so no TIME_WAIT or
FIN_WAIT2 is left on the server's port to fail the next start of a program
without SO_REUSEADDR.
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Callable, Iterable

from harness import procfs
from harness.compare import describe_bytes_mismatch, shorten
from harness.outcomes import CheckFailed, CheckTimeout
from harness.transcript import Transcript
from harness.waiting import Deadline, poll

HOST = "127.0.0.1"


class Conversation:
    def __init__(self, port: int, transcript: Transcript, name: str = "client",
                 host: str = HOST, timeout: float = 3.0, nodelay: bool = True,
                 rcvbuf: int | None = None, source: str | None = None, sndbuf: int | None = None) -> None:
        self.port, self.name, self.transcript, self.timeout = port, name, transcript, timeout
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if sndbuf is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
        if source is not None:
            self.sock.bind((source, 0))
        if nodelay:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(timeout)
        self.saw_eof = False
        # Set by the check's LabSession: (deadline) -> the proof that nothing can arrive before it (harness.stall)
        self.stall: Callable[[float], str | None] | None = None
        self.stall_proof = ""  # the proof that ended the last wait early
        try:
            self.sock.connect((host, port))
        except OSError as exc:
            self.sock.close()
            transcript.note(name, f"connect to {host}:{port} failed: {exc}")
            raise CheckFailed(f"{name} could not connect to {host}:{port}: {exc}") from exc
        try:
            self.local_addr, self.local_port = self.sock.getsockname()[:2]
            self.peer_addr = self.sock.getpeername()[0]
        except OSError as exc:  # reset between connect() and here: a listener that closed with us in its queue
            self.sock.close()
            transcript.note(name, f"connected to {host}:{port}, and the connection was reset at once ({exc})")
            raise CheckFailed(f"{name} connected to {host}:{port}, but the server reset the connection at once "
                              "(it closed its listening socket, or exited, with this client in its queue)") from exc
        transcript.note(name, f"connected from {self.local_addr}:{self.local_port} to {host}:{port}")

    def mine(self) -> procfs.SocketRow | None:
        """Our end of the connection, as the kernel has it (None once it is gone)."""
        return procfs.connection(self.local_port, self.port, self.local_addr, self.peer_addr)

    def theirs(self) -> procfs.SocketRow | None:
        """The server's end of the connection (accepted or still in its accept queue; None once gone)."""
        return procfs.connection(self.port, self.local_port, self.peer_addr, self.local_addr)

    # ---- sending -----------------------------------------------------------
    def send(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError as exc:
            self.transcript.note(self.name, f"send failed: {exc}")
            raise CheckFailed(f"{self.name}: sending {len(data)} bytes failed: {exc}") from exc
        self.transcript.sent(self.name, data)

    def wait_consumed(self, timeout: float = 2.0) -> bool:
        """Wait until the server application has read everything we sent.

        Our tx queue empty (ACKed) and the server socket's rx queue empty
        (read by the program): the next bytes can only arrive in a later recv().
        """
        deadline = Deadline(timeout)
        look = [Deadline(self.STALL_FIRST)]

        def read_all() -> bool:
            mine, theirs = self.mine(), self.theirs()
            return bool(mine and theirs and mine.tx_queue == 0 and theirs.rx_queue == 0)

        def consumed() -> str:
            if read_all():
                return "consumed"
            if self.stall is not None and look[0].expired():  # a server that cannot read before the deadline
                look[0] = Deadline(self.STALL_EVERY)
                if self.stall(deadline.end):
                    return "consumed" if read_all() else "stalled"  # it may have read them while we looked
            return ""

        return poll(consumed, timeout) == "consumed"

    def send_fragments(self, parts: Iterable[bytes], gate_timeout: float = 2.0) -> bool:
        """Send parts one by one, each only after the server read the previous one.

        Returns False if the server stopped reading (the rest was sent ungated).
        """
        gated = True
        for i, part in enumerate(parts):
            if i and gated and not self.wait_consumed(gate_timeout):
                gated = False
                self.transcript.note(self.name, "the server did not read the previous fragment; sending the rest ungated")
            self.send(part)
        return gated

    def shutdown_write(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError as exc:  # the server already reset or closed the connection
            self.transcript.note(self.name, f"could not shut down its write side: {exc}")
            raise CheckFailed(f"{self.name}: the connection was already closed by the server ({exc})") from exc
        self.transcript.note(self.name, "shut down its write side (sent FIN)")

    # ---- receiving ---------------------------------------------------------
    def recv_exact(self, n: int, timeout: float | None = None, what: str = "") -> bytes:
        """Exactly n bytes, or CheckTimeout/CheckFailed saying what did arrive."""
        limit_s = self.timeout if timeout is None else timeout
        deadline = Deadline(limit_s)
        buf = bytearray()
        while len(buf) < n:
            chunk = self._recv_some(min(n - len(buf), 1 << 20), deadline)
            if chunk is None:
                self._log_received(bytes(buf))
                raise CheckTimeout(
                    f"{self.name} waited {self._waited(limit_s, deadline)} for {n} bytes{what}, "
                    f"received {len(buf)}: {shorten(bytes(buf))}{self._proof_line()}")
            if not chunk:
                self._log_received(bytes(buf))
                raise CheckFailed(
                    f"{self.name}: the server closed the connection after {len(buf)} of {n} expected bytes{what}: "
                    f"{shorten(bytes(buf))}")
            buf += chunk
        self._log_received(bytes(buf))
        return bytes(buf)

    def expect(self, expected: bytes, timeout: float | None = None, what: str = "") -> None:
        """Receive len(expected) bytes and compare them exactly."""
        got = self.recv_exact(len(expected), timeout, what)
        problem = describe_bytes_mismatch(expected, got)
        if problem:
            raise CheckFailed(f"{self.name} received the wrong bytes{what}:\n{problem}")

    def recv_until_eof(self, timeout: float | None = None, limit: int = 64 << 20) -> bytes:
        """Everything until the server closes; CheckTimeout if it never does."""
        limit_s = self.timeout if timeout is None else timeout
        deadline = Deadline(limit_s)
        buf = bytearray()
        while len(buf) <= limit:
            chunk = self._recv_some(1 << 20, deadline)
            if chunk is None:
                self._log_received(bytes(buf))
                raise CheckTimeout(
                    f"{self.name} received {len(buf)} bytes but the server did not close the connection "
                    f"within {self._waited(limit_s, deadline)}: {shorten(bytes(buf))}{self._proof_line()}")
            if not chunk:
                self.saw_eof = True
                self._log_received(bytes(buf))
                self.transcript.note(self.name, "saw end of stream (server closed)")
                return bytes(buf)
            buf += chunk
        raise CheckFailed(f"{self.name}: the server sent more than {limit} bytes")

    def expect_eof(self, timeout: float | None = None) -> None:
        rest = self.recv_until_eof(timeout)
        if rest:
            raise CheckFailed(f"{self.name} expected the server to close, but it sent {len(rest)} more bytes: {shorten(rest)}")

    # While a wait lasts, look for the proof that it is in vain (harness.stall) after this long, then this often.
    STALL_FIRST, STALL_EVERY = 0.05, 0.1

    def _recv_some(self, n: int, deadline: Deadline) -> bytes | None:
        """Up to n bytes; b'' at EOF; None at the deadline, or sooner when self.stall proves nothing
        can come by then (the proof is in self.stall_proof)."""
        self.stall_proof = ""
        step = self.STALL_FIRST
        try:
            while True:
                remaining = deadline.remaining()
                if remaining <= 0:
                    return None
                self.sock.settimeout(remaining if self.stall is None else min(step, remaining))
                try:
                    return self.sock.recv(n)
                except TimeoutError:
                    if self.stall is None or step >= remaining:
                        return None
                step = self.STALL_EVERY
                found = self.stall(time.monotonic() + deadline.remaining())
                if found:
                    self.stall_proof = found
                    self.transcript.note(self.name, f"stopped waiting: {found}")
                    return None
        except ConnectionResetError:
            self.transcript.note(self.name, "connection reset by the server")
            raise CheckFailed(f"{self.name}: the server reset the connection") from None
        finally:
            self.sock.settimeout(self.timeout)

    def _waited(self, limit: float, deadline: Deadline) -> str:
        if not self.stall_proof:
            return f"{limit:g} s"
        return f"{limit - deadline.remaining():.1f} s of its {limit:g} s"

    def _proof_line(self) -> str:
        return f"\n{self.stall_proof[0].upper()}{self.stall_proof[1:]}." if self.stall_proof else ""

    def _log_received(self, data: bytes) -> None:
        if data:
            self.transcript.received(self.name, data)

    # ---- closing -----------------------------------------------------------
    def abort(self) -> None:
        """Close with RST (SO_LINGER 0): what a crashed client looks like to the server."""
        if self.sock.fileno() < 0:
            return
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()
        self.transcript.note(self.name, "aborted the connection (RST)")

    def close(self) -> None:
        """Plain close (FIN): TIME_WAIT then stays on our side, not the server's."""
        if self.sock.fileno() >= 0:
            self.sock.close()
            self.transcript.note(self.name, "closed the connection")

    def __enter__(self) -> Conversation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abort()

