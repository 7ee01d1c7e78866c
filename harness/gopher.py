"""A fake Gopher server (RFC 1436) the harness plays as the handout's host, port 70.

The client connects and sends a selector followed by CRLF; the server answers
with a document and closes the connection. This one records the request bytes
exactly as they arrived (for the selector check) and sends the document in
gated pieces: each piece only after the client application has read the
previous one (/proc: our tx queue and the client's rx queue both empty), so a
client that stops after one recv(), or after a short read, is caught every
time, not by luck. Pieces are sized so that no piece is a multiple of a usual
recv() size (1024, 4096, 65536). A client that half-closes after its request
(shutdown(SHUT_WR)) gets the whole document, as from a real server: only a
client whose program closed its socket is given up on (harness.fakes).

Rule (as every fake): one connection, a deadline on every wait, the thread
joined at the end of the check.
"""

from __future__ import annotations

import random
import socket

from harness.compare import digest
from harness.fakes import FakeServer, split_in, wait_read_by_peer
from harness.transcript import Transcript

GOPHER_PORT = 70


def binary_document(size: int = 300_007, seed: int = 70) -> bytes:
    """size bytes of Gopher-like text lines (CRLF) mixed with every byte value, not valid UTF-8."""
    rng = random.Random(seed)
    words = [b"gopher", b"menu", b"selector", b"burrow", b"minnesota", b"\xe9t\xe9", b"caf\xe9", b"\xff\xfe"]
    out = bytearray()
    line = 0
    while len(out) < size:
        line += 1
        if line % 7 == 0:
            out += bytes(range(256))  # NUL, CR, LF, 0x80..0xff: only a byte-exact copy survives this
        else:
            out += b"%05d " % line + b" ".join(rng.choice(words) for _ in range(rng.randrange(3, 12))) + b"\r\n"
    return bytes(out[:size])


def read_request(conn: socket.socket, timeout: float = 3.0, limit: int = 4096) -> tuple[bytes, bool]:
    """Bytes up to and including the first LF (True), or what arrived before the deadline/EOF (False)."""
    conn.settimeout(timeout)
    buf = bytearray()
    try:
        while b"\n" not in buf and len(buf) < limit:
            chunk = conn.recv(limit)
            if not chunk:
                return bytes(buf), False
            buf += chunk
    except TimeoutError:
        return bytes(buf), False
    return bytes(buf), b"\n" in buf


class FakeGopherServer(FakeServer):
    """Serves `document` for any selector, in `pieces` gated pieces, then closes."""

    name = "gopher"

    def __init__(self, transcript: Transcript, host: str, document: bytes, pieces: int = 5,
                 port: int = GOPHER_PORT) -> None:
        super().__init__(port, transcript, host=host, timeout=10.0)
        self.host = host
        self.document = document
        self.pieces = pieces
        self.request: bytes | None = None
        self.request_complete = False
        self.pieces_sent = 0
        self.gating: list[str] = []  # outcome of the wait after each piece but the last

    def start(self) -> FakeGopherServer:
        self._thread.start()
        self.transcript.note(self.name, f"listening on {self.host}:{self.port}")
        return self

    def serve(self, conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.request, self.request_complete = read_request(conn)
        if self.request:
            self.transcript.received(self.name, self.request)
        if not self.request_complete:
            self.transcript.note(self.name, "no complete request line (ending in LF) arrived; answering anyway")
        conn.settimeout(self.timeout)
        parts = split_in(self.document, self.pieces)
        self.transcript.note(self.name, f"sending a {len(self.document)}-byte document (sha256 "
                                        f"{digest(self.document)}) in {len(parts)} pieces, each after the "
                                        "client read the previous one")
        for i, part in enumerate(parts):
            conn.sendall(part)
            self.pieces_sent += 1
            self.transcript.sent(self.name, part)
            if i < len(parts) - 1:
                state = wait_read_by_peer(conn)
                self.gating.append(state)
                if state != "consumed":
                    self.transcript.note(self.name, f"after piece {i + 1} the client "
                                                    + ("closed its socket" if state == "closed" else
                                                       "stopped reading") + "; not sending the rest")
                    return
        self.transcript.note(self.name, "closing the connection (end of document)")
