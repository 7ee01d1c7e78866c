"""A fake SNTP server (RFC 4330) the harness plays as `pool.ntp.org`.

It binds UDP port 123 on the address the lab's `hosts:` maps the handout's
host name to, so its replies come FROM the queried address (ntplib ignores
replies from any other source). It answers every request with a time of the
harness's choosing, or, when told to stay silent, records the requests and
answers none. Plain sockets: nothing here imports ntplib.

Rule: the reply's fields are chosen so that printing the wrong one is caught
every time. The transmit time T has a fractional part of exactly .5 (exact in
32.32 fixed point) and an odd whole second, so neither truncation-vs-rounding
nor round-half-to-even can land on the right answer by luck; the receive
time is 4 s before T and the reference time a minute before it; the
originate time is the client's own transmit time, as RFC 4330 §5 requires;
and T is at least two days away from the real clock.
"""

from __future__ import annotations

import random
import socket
import struct
import threading
import time

from harness.transcript import Transcript

NTP_DELTA = 2208988800  # seconds from 1900-01-01 (NTP epoch) to 1970-01-01 (Unix epoch)
NTP_PORT = 123
RECEIVE_BEFORE = 4.0  # receive timestamp = T - 4 s
REFERENCE_BEFORE = 60.0


def ntp_timestamp(t: float) -> bytes:
    """Unix time -> 64-bit NTP timestamp (32.32 fixed point, big-endian)."""
    whole = int(t)
    frac = round((t - whole) * 2**32) & 0xFFFFFFFF
    return struct.pack("!II", whole + NTP_DELTA, frac)


def sntp_reply(request: bytes, transmit: float) -> bytes:
    """A 48-byte mode-4 (server) reply to request, with transmit time `transmit`."""
    version = (request[0] >> 3) & 0x7 if request else 4
    poll_interval = request[2] if len(request) > 2 else 6
    originate = request[40:48] if len(request) >= 48 else bytes(8)
    header = struct.pack("!BBBb II 4s", (0 << 6) | (version << 3) | 4, 1, poll_interval, -20, 0, 0, b"LOCL")
    return (header + ntp_timestamp(transmit - REFERENCE_BEFORE) + originate
            + ntp_timestamp(transmit - RECEIVE_BEFORE) + ntp_timestamp(transmit))


def random_server_time(rng: random.Random | None = None, now: float | None = None) -> float:
    """An odd whole second + .5 between 2001 and 2035, at least two days from now."""
    rng = rng or random.Random()
    now = time.time() if now is None else now
    while True:
        whole = rng.randrange(978307200, 2051222400) | 1  # 2001-01-01 .. 2035-01-01, odd
        if abs(whole - now) > 2 * 86400:
            return whole + 0.5


def expected_ctime(t: float) -> str:
    """What time.ctime(t) prints with TZ=UTC."""
    return time.asctime(time.gmtime(t))


class FakeSntpServer:
    """Answers (or, with answer=False, ignores) SNTP requests on host:123 in a thread."""

    name = "NTP server"

    def __init__(self, transcript: Transcript, host: str, transmit_time: float,
                 answer: bool = True, port: int = NTP_PORT) -> None:
        self.transcript, self.host, self.port = transcript, host, port
        self.transmit_time, self.answer = transmit_time, answer
        self.requests: list[tuple[str, bytes]] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.port = self.sock.getsockname()[1]  # port 0: the one the kernel chose
        self.sock.settimeout(0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fake-sntp", daemon=True)

    def start(self) -> FakeSntpServer:
        self._thread.start()
        mode = f"answering with transmit time {self.transmit_time}" if self.answer else "not answering"
        self.transcript.note(self.name, f"listening on UDP {self.host}:{self.port}, {mode}")
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data, addr = self.sock.recvfrom(2048)
            except TimeoutError:
                continue
            except OSError:
                return
            self.requests.append((addr[0], data))
            self.transcript.received(self.name, data)
            if not self.answer:
                self.transcript.note(self.name, "request ignored on purpose (no answer)")
                continue
            reply = sntp_reply(data, self.transmit_time)
            try:
                self.sock.sendto(reply, addr)
            except OSError as exc:
                self.transcript.note(self.name, f"reply failed: {exc}")
                continue
            self.transcript.sent(self.name, reply)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()
