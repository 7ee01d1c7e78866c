"""The harness as the server of a client that sends a lot: `SlowReader`.

For labs whose student program is a *sender* (nonblocking_send). The reader
makes partial sends certain rather than lucky:

  * its listening socket has a small receive buffer, set before listen() so
    the accepted socket inherits it (tcp(7));
  * the check runs in its own network namespace with a small
    `net.ipv4.tcp_wmem` (see SMALL_TCP_WMEM), so the client's send buffer is
    small too and every large send() is cut short;
  * it reads nothing until the client has filled both buffers and is stuck
    (`hold_off`), which is when /proc shows how the client waits;
  * then it reads everything, checking every byte against the known pattern
    as it arrives (length, SHA-256, first differing offset) without ever
    building the whole expected stream, and watches for EOF;
  * at EOF it closes its side, as a real server does, so a client that
    half-closes (shutdown(SHUT_WR)) and reads until the server closes ends.

Rule: every wait has a deadline and is a poll on kernel state (harness.waiting);
the only sleep is the measurement window of `busy_over`.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
from collections import Counter
from dataclasses import dataclass, field

from harness import observe, procfs
from harness.compare import shorten
from harness.launch import StudentProgram, describe_exit
from harness.outcomes import CheckTimeout, HarnessError, ProgramCrashed
from harness.transcript import Transcript
from harness.waiting import Deadline, poll

# min / default / max send buffer of every socket created in the check's
# namespace. Measured (Linux 6.18): with this, a client that ignores send()'s
# count loses data every time for chunks of 16 KiB and more, and a client that
# retries after a 10 ms sleep still delivers 7 MiB in about 2 s.
SMALL_TCP_WMEM = "4096 8192 32768"
READER_RCVBUF = 4096  # the kernel doubles it: 8 KiB

SENDING = frozenset({"sendto", "sendmsg", "write"})
STUCK = observe.WAITING_FOR_IO | observe.SLEEPING | SENDING

WHAT_IT_MEANS = {
    "select": "waiting in select()", "pselect6": "waiting in select()", "poll": "waiting in poll()",
    "ppoll": "waiting in poll()", "epoll_wait": "waiting in epoll", "epoll_pwait": "waiting in epoll",
    "epoll_pwait2": "waiting in epoll",
    "sendto": "blocked inside send()/sendall(): the socket is in blocking mode",
    "sendmsg": "blocked inside sendmsg(): the socket is in blocking mode",
    "write": "blocked inside write(): the socket is in blocking mode",
    "nanosleep": "sleeping (time.sleep) between retries", "clock_nanosleep": "sleeping (time.sleep) between retries",
    "running": "running on the CPU (a loop that retries send() without waiting)",
    "recvfrom": "waiting to receive data from the server", "read": "waiting in read()",
    "futex": "waiting for a thread or lock (futex)",
}


def meaning(syscall: str) -> str:
    return WHAT_IT_MEANS.get(syscall, f"in system call {syscall}")


def describe_sample_counts(seen: Counter[str]) -> str:
    total = sum(seen.values()) or 1
    return ", ".join(f"{meaning(s)} ({100 * n // total}% of {total} samples)" for s, n in seen.most_common(3))


class PatternCheck:
    """Checks a byte stream against `pattern` repeated up to `total` bytes, chunk by chunk."""

    VIEW = 24

    def __init__(self, pattern: bytes, total: int) -> None:
        self.pattern, self.total = pattern, total
        self.received = 0
        self.sha = hashlib.sha256()
        self.first_difference: int | None = None
        self.context = ""
        self._tail = b""  # the last VIEW bytes received, for the context of a difference

    def expected(self, offset: int, n: int) -> bytes:
        """Bytes [offset, offset+n) of the expected stream (empty past its end)."""
        n = max(0, min(n, self.total - offset))
        start = offset % len(self.pattern)
        reps = (start + n) // len(self.pattern) + 1
        return (self.pattern * reps)[start:start + n]

    def feed(self, chunk: bytes) -> None:
        if self.first_difference is None:
            want = self.expected(self.received, len(chunk))
            if chunk != want:
                i = next((k for k, (a, b) in enumerate(zip(chunk, want, strict=False)) if a != b), len(want))
                off = self.received + i
                self.first_difference = off
                lo = max(0, off - self.VIEW)
                base = self.received - len(self._tail)  # absolute offset of _tail + chunk
                seen = (self._tail + chunk)[lo - base:off + self.VIEW - base]
                self.context = (f"  expected[{lo}:{off + self.VIEW}] = {shorten(self.expected(lo, off - lo + self.VIEW), 120)}\n"
                                f"  received[{lo}:{off + self.VIEW}] = {shorten(seen, 120)}")
        self.sha.update(chunk)
        self.received += len(chunk)
        self._tail = (self._tail + chunk)[-self.VIEW:]

    def expected_sha256(self) -> str:
        h = hashlib.sha256()
        block = self.pattern * max(1, (1 << 20) // len(self.pattern))
        left = self.total
        while left > 0:
            h.update(block[:left])
            left -= len(block[:left])
        return h.hexdigest()

    def problem(self) -> str | None:
        """None when exactly the expected stream arrived, else where it went wrong."""
        if self.first_difference is None and self.received == self.total:
            return None
        lines = [(f"expected {self.total} bytes (sha256 {self.expected_sha256()[:16]}), "
                  f"received {self.received} bytes (sha256 {self.sha.hexdigest()[:16]})")]
        if self.first_difference is not None and self.first_difference < min(self.received, self.total):
            lines.append(f"first difference at byte offset {self.first_difference}:")
            lines.append(self.context)
        elif self.received < self.total:
            lines.append(f"every byte received matches, but the data stops at byte offset {self.received}: "
                         f"{self.total - self.received} bytes never arrived (the pattern repeats every "
                         f"{len(self.pattern)} bytes, so pieces lost in the middle can show up only as a short total)")
        else:
            lines.append(f"the first {self.total} bytes match, then {self.received - self.total} unexpected extra bytes")
        return "\n".join(lines)


@dataclass(slots=True)
class Drained:
    check: PatternCheck
    ended: str  # eof | idle (no byte for `idle` s, no EOF) | deadline (still sending) | reset | flood
    seconds: float
    problem: str | None = field(default=None)

    @property
    def eof(self) -> bool:
        return self.ended == "eof"


class SlowReader:
    """A one-connection TCP server that reads only when the check says so."""

    name = "server"

    def __init__(self, port: int, transcript: Transcript, host: str = "127.0.0.1",
                 rcvbuf: int = READER_RCVBUF) -> None:
        self.port, self.transcript = port, transcript
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)  # before listen(): inherited
        try:
            self.listener.bind((host, port))
        except OSError as exc:
            self.listener.close()
            raise HarnessError(f"the grader cannot listen on {host}:{port} itself: {exc}") from exc
        self.listener.listen(1)
        self.conn: socket.socket | None = None
        self.client_port = 0
        self.client_addr = self.my_addr = "127.0.0.1"
        transcript.note(self.name, f"listening on {host}:{port} with a {rcvbuf}-byte receive buffer")

    # ---- the connection ----------------------------------------------------
    def accept(self, program: StudentProgram, timeout: float = 5.0) -> None:
        """Accept the client's connection; fail early if the program exits without connecting."""
        deadline = Deadline(timeout)
        self.listener.settimeout(0.05)
        while self.conn is None:
            try:
                self.conn, addr = self.listener.accept()
            except TimeoutError:
                if program.poll() is not None:
                    raise ProgramCrashed(
                        f"The program {describe_exit(program.poll() or 0)} without connecting to "
                        f"localhost:{self.port}.\nIt printed: {shorten(program.stdout(), 200)}\n"
                        f"Its stderr ends with:\n{program.stderr_tail()}") from None
                if deadline.expired():
                    raise CheckTimeout(f"The program did not connect to localhost:{self.port} within {timeout:g} s.\n"
                                       f"Its stderr ends with:\n{program.stderr_tail()}") from None
                continue
            self.client_addr, self.client_port = addr[:2]
            self.my_addr = self.conn.getsockname()[0]
            self.conn.settimeout(5.0)
            self.transcript.note(self.name, f"accepted a connection from {addr[0]}:{addr[1]}; reading nothing yet")

    def queued(self) -> int:
        """Bytes that arrived on our side and that we have not read yet."""
        row = procfs.connection(self.port, self.client_port, self.my_addr, self.client_addr)
        return row.rx_queue if row else 0

    def client_unacked(self) -> int:
        row = procfs.connection(self.client_port, self.port, self.client_addr, self.my_addr)
        return row.tx_queue if row else 0

    def client_fd(self, pid: int) -> int | None:
        """The client's descriptor for this connection (by socket inode)."""
        row = procfs.connection(self.client_port, self.port, self.client_addr, self.my_addr)
        if row is None:
            return None
        return next((fd for fd, inode in observe.socket_fds(pid).items() if inode == row.inode), None)

    # ---- holding off -------------------------------------------------------
    def hold_off(self, program: StudentProgram, want: frozenset[str] = STUCK,
                 timeout: float = 1.5) -> tuple[str | None, Counter[str]]:
        """Read nothing until the client is stuck in one of `want` with data queued on our side.

        Returns (the state it was found in, or None at the deadline; every
        sample seen, "exited" included). A spinning client is never stuck:
        then the deadline ends the wait, which only such a client pays for.
        """
        seen: Counter[str] = Counter()
        unreadable = 0

        def stuck() -> str | None:
            nonlocal unreadable
            pid = program.main_pid()
            if not program.running() or pid is None:
                seen["exited"] += 1
                return "exited"
            state = observe.blocked_in_mode(pid)
            if state is None:
                unreadable += 1
                return None
            seen[state] += 1
            return state if state in want and self.queued() > 0 else None

        state = poll(stuck, timeout)
        if not seen and unreadable:
            raise HarnessError("cannot read /proc/PID/syscall here (no ptrace access): "
                               "the grader cannot see what the program waits in")
        if state == "exited":
            self.transcript.note(self.name, f"the client exited while the server held off reading "
                                 f"({self.queued()} bytes queued here)")
            return None, seen
        self.transcript.note(self.name, (
            f"held off reading: {self.queued()} bytes queued here, {self.client_unacked()} unacknowledged "
            f"in the client's send buffer; the client is {meaning(state) if state else describe_sample_counts(seen)}"))
        return state, seen

    def wait_full(self, timeout: float = 2.0) -> bool:
        """Wait until the data stands still: bytes queued on both sides and no byte moving.

        While we read nothing, the queues grow only while the client can still
        hand data to the kernel. Once two readings in a row (a poll step
        apart) are equal and non-empty, both buffers are full: from then on
        send() can take nothing, so whatever the client does is waiting or
        spinning, and a CPU measurement judges exactly that.
        """
        last: tuple[int, int] | None = None

        def standing_still() -> bool:
            nonlocal last
            now = (self.queued(), self.client_unacked())
            still = now == last and now[0] > 0 and now[1] > 0
            last = now
            return still

        return bool(poll(standing_still, timeout))

    # ---- reading -----------------------------------------------------------
    def drain(self, check: PatternCheck, idle: float = 3.0, overall: float = 15.0) -> Drained:
        """Read until EOF, feeding `check`; stop when no byte arrives for `idle` s or after `overall` s."""
        assert self.conn is not None
        started = last = time.monotonic()
        deadline = Deadline(overall)
        ended = "deadline"
        while not deadline.expired():
            self.conn.settimeout(max(0.01, min(idle - (time.monotonic() - last), deadline.remaining())))
            try:
                chunk = self.conn.recv(1 << 16)
            except TimeoutError:
                if time.monotonic() - last >= idle:
                    ended = "idle"
                    break
                continue
            except ConnectionResetError:
                ended = "reset"
                break
            if not chunk:
                ended = "eof"
                self._hang_up()
                break
            check.feed(chunk)
            last = time.monotonic()
            if check.received > check.total + (1 << 20):
                ended = "flood"  # far more than expected: stop reading
                break
        seconds = time.monotonic() - started
        how = {"eof": "then end of stream (the client closed)",
               "idle": f"then nothing more for {idle:g} s, and no end of stream",
               "deadline": f"and it was still coming after {overall:g} s",
               "reset": "then the client reset the connection",
               "flood": "and more was still coming: stopped reading"}[ended]
        self.transcript.note(self.name, f"read {check.received} bytes in {seconds:.2f} s, {how}")
        return Drained(check=check, ended=ended, seconds=seconds, problem=check.problem())

    def _hang_up(self) -> None:
        """At the client's end of stream, close our side, as a real server does.

        The client's FIN may be a half-close (shutdown(SHUT_WR)) after which it
        reads until we close: it must get that end of stream, not wait forever.
        """
        assert self.conn is not None
        self.conn.close()
        self.transcript.note(self.name, "closed the connection after the client's end of stream")

    def close(self) -> None:
        for s in (self.conn, self.listener):
            if s is not None:
                s.close()


def _scheduling(pids: list[int]) -> tuple[float, float, int]:
    """Of every thread of these processes: seconds on a CPU, seconds runnable but
    waiting for a CPU (/proc/PID/task/TID/schedstat), and how many times a thread
    went to sleep by itself (voluntary_ctxt_switches)."""
    on_cpu = waiting = sleeps = 0
    for base in observe.thread_dirs(pids):
        try:
            with open(f"{base}/schedstat") as f:
                fields = f.read().split()
            on_cpu += int(fields[0])
            waiting += int(fields[1])
            with open(f"{base}/status") as f:
                sleeps += next((int(line.split()[1]) for line in f
                                if line.startswith("voluntary_ctxt_switches:")), 0)
        except (OSError, ValueError, IndexError):
            continue
    return on_cpu / 1e9, waiting / 1e9, sleeps


@dataclass(slots=True)
class Busy:
    """How busy a program was over a window of wall time."""

    cpu: float  # seconds on a CPU
    runnable: float  # seconds on a CPU or ready to run and waiting for one
    sleeps: int  # times it went to sleep by itself (select, sleep, a blocking call)
    wall: float
    looks: int = 0  # instantaneous looks at its threads' states during the window
    awake: int = 0  # looks that found a thread running or ready to run

    @property
    def fraction(self) -> float:
        """Share of the window the program wanted a CPU: ~1 for a busy loop, ~0 when it waits.

        Unlike CPU / wall, this does not shrink when other programs load the
        machine (measured: a busy loop used 0.2 s of CPU per second on a loaded
        2-core machine, but was runnable 98-100% of the time).

        Two estimates, the larger counts. /proc/PID/schedstat adds a wait for a
        CPU to its total only when the wait ends, so a wait still going on at
        the end of the window is missed, and in a loaded container capped at
        one CPU a wait can last a whole 100 ms quota period: 20% of a 0.5 s
        window. A busy loop (nonblocking_send/busy_retry) once passed as
        waiting in `grader selftest --backend docker --repeat 20 --load` (1 run
        in 20; its numbers were not kept). The looks at the thread states are
        each exact at their instant: a client asleep in select() is never seen
        awake, a busy loop always.
        """
        from_stats = self.runnable / self.wall if self.wall > 0 else 0.0
        from_looks = self.awake / self.looks if self.looks >= MIN_LOOKS else 0.0
        return max(from_stats, from_looks)

    def spinning(self) -> bool:
        """Wanted a CPU nearly all the time and (almost) never went to sleep by itself.

        A loop around time.sleep() sleeps dozens of times per window even when
        a loaded machine makes each wake-up late; a select() client blocked
        for the whole window is runnable ~0% of it.
        """
        return self.fraction >= 0.8 and self.sleeps < 3


LOOK_EVERY = 0.01  # s between looks at the thread states during busy_over's window
MIN_LOOKS = 10  # fewer looks (a starved runner) say nothing: the schedstat estimate alone counts


def busy_over(pids: list[int], window: float = 0.5) -> Busy:
    c0, r0, s0 = _scheduling(pids)
    w0 = time.monotonic()
    looks = awake = 0
    while (left := w0 + window - time.monotonic()) > 0:
        time.sleep(min(LOOK_EVERY, left))  # poll: a measurement window, not a wait for the program
        looks += 1
        awake += observe.any_running(pids)
    c1, r1, s1 = _scheduling(pids)
    w1 = time.monotonic()
    return Busy(cpu=c1 - c0, runnable=(c1 - c0) + (r1 - r0), sleeps=s1 - s0, wall=w1 - w0, looks=looks, awake=awake)


def is_nonblocking(pid: int, fd: int) -> bool | None:
    flags = observe.fd_flags(pid, fd)
    return None if flags is None else bool(flags & os.O_NONBLOCK)
