"""Fake servers the harness plays for client labs.

Each runs in a background thread on 127.0.0.1 (inside the sandbox's own
network namespace, so the handout's `localhost:PORT` reaches it), records
what it saw for the check to judge, and writes into the check's transcript.
Rule: a fake server never assumes one recv() is one message, has a deadline
on every wait, and is stopped (thread joined) at the end of the check.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

from harness import procfs
from harness.transcript import Transcript
from harness.waiting import poll


class FakeServer:
    """Base: listen on a port, serve connections with self.serve(conn) in a thread."""

    name = "server"

    def __init__(self, port: int, transcript: Transcript, host: str = "127.0.0.1",
                 timeout: float = 10.0, max_connections: int = 1) -> None:
        self.port, self.transcript, self.timeout = port, transcript, timeout
        self.max_connections = max_connections
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((host, port))
        self.listener.listen(8)
        self.listener.settimeout(0.1)
        self.connections = 0
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"fake-{self.name}", daemon=True)

    def start(self) -> FakeServer:
        self._thread.start()
        self.transcript.note(self.name, f"listening on 127.0.0.1:{self.port}")
        return self

    def _run(self) -> None:
        while not self._stop.is_set() and self.connections < self.max_connections:
            try:
                conn, addr = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            self.transcript.note(self.name, f"accepted a connection from {addr[0]}:{addr[1]}")
            conn.settimeout(self.timeout)
            try:
                self.serve(conn)
            except OSError as exc:
                self.errors.append(str(exc))
                self.transcript.note(self.name, f"connection ended: {exc}")
            finally:
                conn.close()

    def serve(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self._stop.set()
        self.listener.close()
        self._thread.join(self.timeout + 1)

    def stopped(self) -> bool:
        return self._stop.is_set()


def read_line(conn: socket.socket, pending: bytearray, limit: int = 1 << 20) -> bytes | None:
    """One line (with its b'\\n') from conn, buffering extra bytes in pending; None at EOF."""
    while b"\n" not in pending:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        pending += chunk
        if len(pending) > limit:
            raise OSError(f"line longer than {limit} bytes")
    i = pending.index(b"\n") + 1
    line = bytes(pending[:i])
    del pending[:i]
    return line


def wait_consumed_by_peer(conn: socket.socket, timeout: float = 3.0) -> bool:
    """Wait until the peer application has read everything we sent on conn."""
    mine = conn.getsockname()[1]
    peer = conn.getpeername()[1]

    def consumed() -> bool:
        ours = procfs.connection(mine, peer)
        theirs = procfs.connection(peer, mine)
        return bool(ours and theirs and ours.tx_queue == 0 and theirs.rx_queue == 0)

    return bool(poll(consumed, timeout))


class FragmentingEchoServer(FakeServer):
    """Echoes each line back in pieces, each sent after the client read the previous one.

    Before the last piece of every echo it waits until the client is provably
    waiting for more (blocked reading, everything so far consumed), then looks
    for bytes the client sent early: a client that sends the next line before
    the whole echo arrived is caught every time, not by luck.
    """

    name = "echo server"

    def __init__(self, port: int, transcript: Transcript, pieces: int = 3,
                 client_waiting: Callable[[], bool] | None = None, **kw: object) -> None:
        super().__init__(port, transcript, **kw)  # type: ignore[arg-type]
        self.pieces = pieces
        self.client_waiting = client_waiting or (lambda: True)
        self.lines: list[bytes] = []
        self.early: list[tuple[int, bytes]] = []  # (line index, bytes seen before its echo was complete)

    def serve(self, conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pending = bytearray()
        while True:
            line = read_line(conn, pending)
            if line is None:
                self.transcript.note(self.name, "client closed the connection")
                return
            self.lines.append(line)
            self.transcript.received(self.name, line)
            parts = split_in(line, self.pieces)
            for part in parts[:-1]:
                conn.sendall(part)
                wait_consumed_by_peer(conn)
            if len(parts) > 1:
                poll(self.client_waiting, 2.0)
                early = bytes(pending) + peek(conn)
                if early:
                    self.early.append((len(self.lines) - 1, early))
                    self.transcript.note(self.name, f"the client sent {len(early)} bytes before the echo was complete")
            conn.sendall(parts[-1])
            self.transcript.sent(self.name, line)


def peek(conn: socket.socket) -> bytes:
    """Bytes already waiting on conn, without consuming or waiting for them."""
    timeout = conn.gettimeout()
    conn.setblocking(False)  # with a timeout set, recv() would first wait for data
    try:
        return conn.recv(65536, socket.MSG_PEEK)
    except (BlockingIOError, InterruptedError):
        return b""
    finally:
        conn.settimeout(timeout)


def split_in(data: bytes, n: int) -> list[bytes]:
    """data in up to n non-empty pieces of near-equal size."""
    n = max(1, min(n, len(data)))
    size, extra = divmod(len(data), n)
    out, i = [], 0
    for k in range(n):
        j = i + size + (1 if k < extra else 0)
        out.append(data[i:j])
        i = j
    return out
