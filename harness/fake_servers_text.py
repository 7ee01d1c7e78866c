"""Small text protocols: a fake server that answers in gated fragments, and
line reading for the harness's own client conversations.

Rule: a fragment is sent only after the peer application has read the
previous one (its receive queue is empty, as /proc shows), so a program that
treats one recv() as the whole message sees the first fragment alone, every
time, not by luck. Every wait has a deadline and everything goes into the
check's transcript.
"""

from __future__ import annotations

import socket
import threading

from harness.compare import describe_bytes_mismatch, shorten
from harness.conversation import Conversation
from harness.fakes import FakeServer, wait_consumed_by_peer
from harness.outcomes import CheckFailed, CheckTimeout
from harness.transcript import Transcript
from harness.waiting import Deadline


class FragmentedReplyServer(FakeServer):
    """For each connection: send `fragments` one by one (each after the client read
    the previous one), then close. What the client sends is read and recorded.

    `gated` records, per connection, whether every fragment after the first
    went out only once the client had consumed the one before.
    """

    name = "server"

    def __init__(self, port: int, transcript: Transcript, fragments: list[bytes],
                 host: str = "127.0.0.1", max_connections: int = 1, gate_timeout: float = 3.0,
                 name: str | None = None) -> None:
        if name:
            self.name = name
        super().__init__(port, transcript, host=host, max_connections=max_connections)
        self.host = host
        self.fragments = fragments
        self.gate_timeout = gate_timeout
        self.gated: list[bool] = []
        self.received: list[bytes] = []
        self.done = threading.Event()

    def start(self) -> FragmentedReplyServer:
        self._thread.start()
        self.transcript.note(self.name, f"listening on {self.host}:{self.port}")
        return self

    def serve(self, conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        gated = True
        try:
            for i, fragment in enumerate(self.fragments):
                if i and not wait_consumed_by_peer(conn, self.gate_timeout):
                    gated = False
                    self.transcript.note(self.name, "the client did not read the previous fragment; sending on")
                conn.sendall(fragment)
                self.transcript.sent(self.name, fragment)
            self.received.append(_drain(conn))
        finally:
            self.gated.append(gated)
            self.transcript.note(self.name, "closed the connection")
            self.done.set()


def _drain(conn: socket.socket) -> bytes:
    """Whatever the client already sent (never waits).

    The socket is switched to non-blocking for the call: with a timeout set,
    Python waits for readability before recv(), even with MSG_DONTWAIT.
    """
    timeout = conn.gettimeout()
    conn.setblocking(False)
    try:
        return conn.recv(65536)
    except (BlockingIOError, InterruptedError, ConnectionError):
        return b""
    finally:
        conn.settimeout(timeout)


# ---- lines on the harness's own client connections --------------------------

def recv_until(conv: Conversation, marker: bytes, timeout: float = 3.0, limit: int = 4096) -> tuple[bytes, str]:
    """Bytes up to and including the first `marker`, and why reading stopped.

    The reason is "found", or "eof" / "timeout" / "reset" / "limit" when the
    marker did not arrive. Nothing after the marker is consumed (it is peeked
    first), so the conversation can go on with expect() or recv_until().
    """
    deadline = Deadline(timeout)
    buf = bytearray()
    how = "found"
    try:
        while True:
            remaining = deadline.remaining()
            if remaining <= 0:
                how = "timeout"
                break
            conv.sock.settimeout(remaining)
            try:
                peeked = conv.sock.recv(limit, socket.MSG_PEEK)
            except TimeoutError:
                how = "timeout"
                break
            except ConnectionResetError:
                how = "reset"
                break
            if not peeked:
                how = "eof"
                conv.saw_eof = True
                break
            start = max(0, len(buf) - len(marker) + 1)
            end = (bytes(buf) + peeked).find(marker, start)
            take = len(peeked) if end < 0 else end + len(marker) - len(buf)
            buf += conv.sock.recv(take)
            if end >= 0:
                break
            if len(buf) >= limit:
                how = "limit"
                break
    finally:
        conv.sock.settimeout(conv.timeout)
    if buf:
        conv.transcript.received(conv.name, bytes(buf))
    if how == "eof":
        conv.transcript.note(conv.name, "saw end of stream (server closed)")
    elif how == "reset":
        conv.transcript.note(conv.name, "connection reset by the server")
    return bytes(buf), how


def recv_line(conv: Conversation, timeout: float = 3.0, limit: int = 4096) -> tuple[bytes, str]:
    """recv_until(conv, b"\\n"): one line with its newline (reason "found"), or what came before it stopped."""
    return recv_until(conv, b"\n", timeout, limit)


STOPPED = {
    "eof": "the server closed the connection before sending a newline",
    "timeout": "no newline arrived before the deadline",
    "reset": "the server reset the connection",
    "limit": "no newline in the first bytes received",
}


def expect_line(conv: Conversation, expected: bytes, timeout: float = 3.0, what: str = "") -> None:
    """Read one line and compare it exactly with `expected` (which ends in b'\\n')."""
    line, how = recv_line(conv, timeout, limit=max(4096, 2 * len(expected)))
    if line == expected:
        return
    problem = describe_bytes_mismatch(expected, line)
    reason = f" ({STOPPED[how]})" if how != "found" else ""
    message = f"{conv.name} expected the line {shorten(expected)}{what}, received {shorten(line)}{reason}:\n{problem}"
    if how == "timeout" and not line:
        raise CheckTimeout(f"{conv.name} waited {timeout:g} s for the line {shorten(expected)}{what} and received nothing.")
    raise CheckFailed(message)
