"""UDP for the harness: a datagram peer that probes a student's server, and a
fake UDP server that a student's client talks to.

Rule: on loopback a datagram is lost only when the receiving socket's buffer
overflows (probing.md §5), so the harness keeps at most one request in flight
per socket (stop-and-wait), retries a request a bounded number of times, and
records the kernel's `Udp RcvbufErrors` counter so that a rare loss is blamed
on the right party. Every wait has a deadline; everything sent or received
goes into the check's transcript. Which datagrams the fake server answers is
decided by count, never at random.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from harness.compare import describe_bytes_mismatch, shorten
from harness.fakes import FakeServer
from harness.outcomes import CheckFailed, CheckTimeout
from harness.transcript import Transcript
from harness.waiting import Deadline

if TYPE_CHECKING:
    from harness.conversation import Conversation
    from harness.session import LabSession

HOST = "127.0.0.1"
MAX_DATAGRAM = 65507  # IPv4: 65535 - 8 (UDP header) - 20 (IP header)


def rcvbuf_errors() -> int | None:
    """The Udp RcvbufErrors counter of this network namespace (None if unreadable)."""
    for base in (Path("/proc/thread-self/net/snmp"), Path("/proc/net/snmp")):
        try:
            lines = [line.split() for line in base.read_text().splitlines() if line.startswith("Udp:")]
        except OSError:
            continue
        if len(lines) >= 2 and "RcvbufErrors" in lines[0]:
            i = lines[0].index("RcvbufErrors")
            return int(lines[1][i])
    return None


class DatagramPeer:
    """The harness as a UDP client of the student's server (one socket, one source address)."""

    def __init__(self, port: int, transcript: Transcript, name: str = "client",
                 host: str = HOST, source: str = HOST) -> None:
        self.port, self.host, self.name, self.transcript = port, host, name, transcript
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self.sock.bind((source, 0))
        except OSError:
            self.sock.close()
            raise
        self.address = self.sock.getsockname()
        self.answered: set[bytes] = set()  # replies already matched: a late duplicate of one is skipped
        transcript.note(name, f"UDP socket bound to {self.address[0]}:{self.address[1]}")

    def send(self, data: bytes) -> None:
        try:
            self.sock.sendto(data, (self.host, self.port))
        except OSError as exc:
            self.transcript.note(self.name, f"sendto failed: {exc}")
            raise CheckFailed(f"{self.name}: sending a {len(data)}-byte datagram failed: {exc}") from exc
        self.transcript.sent(self.name, data)

    def receive(self, timeout: float) -> tuple[bytes, tuple[str, int]] | None:
        """One datagram (up to the IPv4 maximum, so nothing is truncated on our side), or None."""
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data, addr = self.sock.recvfrom(MAX_DATAGRAM + 1)
        except TimeoutError:
            return None
        except ConnectionRefusedError:  # an ICMP error from an earlier datagram: nobody is bound there
            self.transcript.note(self.name, "port unreachable (nothing bound to the server's port)")
            return None
        self.transcript.received(self.name, data)
        if addr != (self.host, self.port):
            self.transcript.note(self.name, f"that datagram came from {addr[0]}:{addr[1]}")
        return data, addr

    def expect_reply(self, expected: bytes, timeout: float = 2.0, what: str = "") -> bytes:
        """Wait for the reply to a datagram already sent; compare it exactly."""
        deadline = Deadline(timeout)
        while True:
            got = self.receive(deadline.remaining())
            if got is None:
                raise CheckTimeout(f"{self.name} waited {timeout:g} s for the reply{what} and got nothing.")
            data = got[0]
            if data in self.answered and data != expected:
                self.transcript.note(self.name, "(a late duplicate of an earlier reply: skipped)")
                continue
            self._judge(expected, data, what)
            self.answered.add(data)
            return data

    def request(self, data: bytes, expected: bytes, attempts: int = 3, timeout: float = 1.0,
                what: str = "") -> bytes:
        """Stop-and-wait: send, wait for the reply, resend (at most `attempts` sends) if none came.

        A reply that arrives is compared exactly; a resend happens only when
        nothing came back, which on loopback means the datagram was dropped.
        """
        for attempt in range(1, attempts + 1):
            if attempt > 1:
                self.transcript.note(self.name, f"no reply within {timeout:g} s: sending again (attempt {attempt})")
            self.send(data)
            try:
                return self.expect_reply(expected, timeout, what)
            except CheckTimeout:
                continue
        times = "once" if attempts == 1 else f"{attempts} times"
        raise CheckTimeout(
            f"{self.name} sent a {len(data)}-byte datagram{what} {times} "
            f"({shorten(data, 60)}), waiting {timeout:g} s each time, and never got a reply.")

    def _judge(self, expected: bytes, data: bytes, what: str) -> None:
        if data == expected:
            return
        problem = describe_bytes_mismatch(expected, data)
        if len(data) < len(expected) and expected.startswith(data):
            problem = (f"{problem}\nThe reply is cut short at {len(data)} bytes: "
                       f"does the server read with recvfrom({len(data)})?")
        raise CheckFailed(f"{self.name} received the wrong reply{what}:\n{problem}")

    def abort(self) -> None:
        """Close (the name matches Conversation, so LabSession's teardown closes these too)."""
        if self.sock.fileno() >= 0:
            self.sock.close()

    close = abort


def udp_client(lab: LabSession, name: str = "client", source: str = HOST, port: int | None = None) -> DatagramPeer:
    """A DatagramPeer to the lab's port, closed by the lab's teardown like its TCP conversations."""
    peer = DatagramPeer(port or lab.port, lab.transcript, name=name, source=source)
    lab.adopt(cast("Conversation", peer))  # teardown only calls .abort()
    return peer


def upper_ascii(data: bytes) -> bytes:
    """ASCII letters upper-cased, every other byte unchanged (what the lab's server does)."""
    return data.upper()  # bytes.upper() touches only a-z


@dataclass(frozen=True, slots=True)
class Datagram:
    data: bytes
    source: tuple[str, int]
    at: float  # time.monotonic() when the fake server read it
    answered: bool


class FakeUdpServer(FakeServer):
    """Bound to UDP HOST:PORT in a thread; answers or drops each request by its number.

    `drop(n)` (n = 1 for the first datagram) says whether request n goes
    unanswered; `answer(data)` makes the reply (upper-case by default). The
    requests are recorded, with the time each was read, for the check to judge.
    It subclasses FakeServer for its life cycle (lab.fake() starts it, the
    lab's teardown stops it) but replaces the TCP listener by a UDP socket.
    """

    name = "udp server"

    def __init__(self, port: int, transcript: Transcript, host: str = HOST,
                 drop: Callable[[int], bool] = lambda n: False,
                 answer: Callable[[bytes], bytes] = upper_ascii, timeout: float = 10.0) -> None:
        # FakeServer.__init__ is not called: it would bind a TCP listener.
        self.port, self.host, self.transcript, self.timeout = port, host, transcript, timeout
        self.drop, self.answer = drop, answer
        self.requests: list[Datagram] = []
        self.errors: list[str] = []
        self.connections = 0
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.listener.bind((host, port))
        self.listener.settimeout(0.1)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"fake-{self.name}", daemon=True)

    def start(self) -> FakeUdpServer:
        self._thread.start()
        self.transcript.note(self.name, f"bound to UDP {self.host}:{self.port}")
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data, addr = self.listener.recvfrom(MAX_DATAGRAM + 1)
            except TimeoutError:
                continue
            except OSError:
                return
            at = time.monotonic()
            n = len(self.requests) + 1
            answered = not self.drop(n)
            self.transcript.received(self.name, data)
            # Recorded before the reply leaves: a client may print the reply and exit, and the check
            # read received(), before this thread runs again (once in 4,420 runs, both cores busy).
            with self._lock:
                self.requests.append(Datagram(data, addr, at, answered))
            if answered:
                reply = self.answer(data)
                try:
                    self.listener.sendto(reply, addr)
                except OSError as exc:
                    self.errors.append(str(exc))
                    self.transcript.note(self.name, f"sendto failed: {exc}")
                else:
                    self.transcript.sent(self.name, reply)
            else:
                self.transcript.note(self.name, f"dropped datagram #{n} on purpose (no reply)")

    def received(self) -> list[Datagram]:
        with self._lock:
            return list(self.requests)
