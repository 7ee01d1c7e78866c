"""Fake servers the harness plays for client labs.

Each runs in a background thread on 127.0.0.1 (inside the sandbox's own
network namespace, so the handout's `localhost:PORT` reaches it), records
what it saw for the check to judge, and writes into the check's transcript.
Rule: a fake server never assumes one recv() is one message, has a deadline
on every wait, and is stopped (thread joined) at the end of the check.

Rule: a FIN from the client is a half-close, never a hang-up. A client that
sends its request and then calls shutdown(SHUT_WR) still reads everything the
server sends, as a real server lets it; so a fake keeps sending after EOF and
takes the client for gone only when /proc shows its program closed the socket
(`peer_has_closed`). Every wait on the client's reading goes through
`wait_read_by_peer`, which applies that rule.
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


# States of the client's socket in which its program can no longer read.
# (FIN_WAIT1 and FIN_WAIT2 are not among them: they follow shutdown(SHUT_WR) too.)
CLOSED_STATES = frozenset({"CLOSE", "CLOSING", "LAST_ACK", "TIME_WAIT"})


def peer_has_closed(theirs: procfs.SocketRow | None) -> bool:
    """Whether the client program closed its end of the connection (not merely half-closed it).

    After close() (or exit) the kernel orphans the socket: its /proc/net/tcp
    row loses its inode (0) or disappears once a reset ends it. After
    shutdown(SHUT_WR) the socket sits in FIN_WAIT1/FIN_WAIT2 just the same,
    but a process still owns it (inode != 0) and can read all we send.
    """
    return theirs is None or theirs.inode == 0 or theirs.state in CLOSED_STATES


def wait_read_by_peer(conn: socket.socket, timeout: float = 3.0) -> str:
    """'consumed' once the client program read all we sent on conn; 'closed' if it
    closed its socket (a half-close does not count); 'stalled' at the deadline."""
    (my_addr, mine), (peer_addr, peer) = conn.getsockname()[:2], conn.getpeername()[:2]

    def state() -> str | None:
        theirs = procfs.connection(peer, mine, peer_addr, my_addr)
        if peer_has_closed(theirs):
            return "closed"
        ours = procfs.connection(mine, peer, my_addr, peer_addr)
        if ours and theirs and ours.tx_queue == 0 and theirs.rx_queue == 0:
            return "consumed"
        return None

    return poll(state, timeout) or "stalled"


def wait_consumed_by_peer(conn: socket.socket, timeout: float = 3.0) -> bool:
    """Wait until the peer application has read everything we sent on conn."""
    return wait_read_by_peer(conn, timeout) == "consumed"


class FragmentingEchoServer(FakeServer):
    """Echoes each line back in pieces, each sent after the client read the previous one.

    Certain, not probable: before the last piece of every echo it waits until
    the client is provably waiting for more (`client_waiting`: blocked
    reading, as /proc shows) AND everything the client has written so far has
    reached this socket (the client's send queue is empty), and only then
    looks for bytes the client sent early. A client that sends the next line
    before the whole echo arrived has by then written it, so it is caught
    every time, whatever the scheduler did. A client that shuts down its
    writing side after its last line still gets every echo (a half-close);
    a last line without a newline, followed by end of stream, is echoed too.
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
            if line is None and pending:
                line = bytes(pending)
                pending.clear()
                self.transcript.note(self.name, f"end of stream after {len(line)} bytes without a newline: "
                                                "echoing them, as an echo server does")
            if line is None:
                self.transcript.note(self.name, "end of stream from the client: closing the connection")
                return
            self._echo(conn, line, pending)

    def _echo(self, conn: socket.socket, line: bytes, pending: bytearray) -> None:
        self.lines.append(line)
        self.transcript.received(self.name, line)
        parts = split_in(line, self.pieces)
        for part in parts[:-1]:
            conn.sendall(part)
            wait_consumed_by_peer(conn)
        if len(parts) > 1:
            poll(lambda: self.client_waiting() and sent_all_it_wrote(conn), 2.0)
            early = bytes(pending) + peek(conn)
            if early:
                self.early.append((len(self.lines) - 1, early))
                self.transcript.note(self.name, f"the client sent {len(early)} bytes before the echo was complete")
        conn.sendall(parts[-1])
        self.transcript.sent(self.name, line)


def sent_all_it_wrote(conn: socket.socket) -> bool:
    """Whether every byte the client wrote on conn has reached us (its send queue is empty)."""
    (my_addr, mine), (peer_addr, peer) = conn.getsockname()[:2], conn.getpeername()[:2]
    theirs = procfs.connection(peer, mine, peer_addr, my_addr)
    return theirs is None or theirs.tx_queue == 0


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
