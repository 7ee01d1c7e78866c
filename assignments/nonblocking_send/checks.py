"""Checks for nonblocking_send: nonblocking_client.py sends 7 MiB to localhost:1234.

The harness is the server (harness.slow_reader.SlowReader). Every check runs
one whole transfer in a fresh network namespace whose small send buffers
(SMALL_TCP_WMEM) and the reader's small receive buffer make partial sends
certain: the reader holds off until the client is stuck with its buffers
full, looks at the client through /proc, then reads everything and checks
every byte against b'foobar\\n' * 1024 * 1024.
"""

import pytest

from harness import observe
from harness.compare import normalize_lines, shorten
from harness.launch import describe_exit
from harness.outcomes import CheckFailed, CheckTimeout, ProgramCrashed
from harness.slow_reader import (
    SMALL_TCP_WMEM,
    PatternCheck,
    SlowReader,
    busy_over,
    describe_sample_counts,
    is_nonblocking,
    meaning,
)

PATTERN = b"foobar\n"
TOTAL = len(PATTERN) * 1024 * 1024  # 7340032
SIZE_LINE = f"Bytes to send: {TOTAL}"
METHOD_WAIT = 5.0  # s the server holds off for a client that never waits in select()

SYSCALL_HINT = """\
# terminal 1: a server that does not read for 5 s (small receive buffer)
python3 -c "import socket,time; l=socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096); l.bind(('127.0.0.1',1234)); l.listen(1); c,_=l.accept(); time.sleep(5); n=0
while (d := c.recv(65536)): n += len(d)
print('received', n)"
python3 nonblocking_client.py      # terminal 2
# terminal 3, during those 5 s:
cat /proc/$(pgrep -f nonblocking_client.py)/syscall   # first number 270 = pselect6 (select), 7 = poll
top -p $(pgrep -f nonblocking_client.py)              # %CPU should be 0, not 100
"""


@pytest.fixture
def reader(lab):
    """The harness's server on port 1234, in a namespace with small send buffers."""
    # Without a network namespace of its own, the client's sockets get that cap as a fixed size instead.
    lab.set_sysctl("net.ipv4.tcp_wmem", SMALL_TCP_WMEM, emulate="max")
    server = SlowReader(lab.port, lab.transcript)
    try:
        yield server
    finally:
        server.close()


def start_client(lab, reader):
    program = lab.start()
    reader.accept(program)
    return program


def state_of(program) -> str:
    pid = program.main_pid()
    state = observe.blocked_in_mode(pid) if pid and program.running() else None
    return meaning(state) if state else "no longer running"


@pytest.mark.points(4)
@pytest.mark.budget(30)
def test_all_bytes(lab, reader):
    """Every byte of b'foobar\\n' * 1024 * 1024 arrives, in order, exactly once, then the client closes."""
    program = start_client(lab, reader)
    reader.hold_off(program)
    got = reader.drain(PatternCheck(PATTERN, TOTAL), idle=3.0, overall=20.0)
    if got.ended == "deadline":
        raise CheckTimeout(
            f"After {got.seconds:.0f} s the server had received {got.check.received} of {TOTAL} bytes and the "
            f"client was still sending: far too slow. The client is {state_of(program)}.")
    if got.problem:
        advice = ("\nsend() on a non-blocking socket takes only what fits in the send buffer and returns how "
                  "many bytes it took: keep an offset and send the rest again once select() says the socket "
                  "is writable.")
        if got.ended == "idle":
            advice = (f"\nThen nothing more arrived for 3 s and the connection stayed open; the client is "
                      f"{state_of(program)}.{advice}")
        raise CheckFailed(f"The server did not receive b'foobar\\n' * 1024 * 1024 exactly:\n{got.problem}{advice}")
    if not got.eof:
        raise CheckFailed(
            f"All {TOTAL} bytes arrived in order, but the client did not close the connection: no end of "
            f"stream within 3 s after the last byte (the client is {state_of(program)}). "
            "Close the socket when everything is sent.")


@pytest.mark.points(3)
@pytest.mark.budget(30)
def test_waits_in_select(lab, reader):
    """While the server does not read, the client's socket is non-blocking and the client waits in select()/poll()."""
    lab.hint = SYSCALL_HINT
    program = start_client(lab, reader)
    state, seen = reader.hold_off(program, want=observe.WAITING_FOR_IO, timeout=METHOD_WAIT)
    if state is None:
        raise CheckFailed(
            f"The server read nothing for {METHOD_WAIT:g} s with {reader.queued()} bytes waiting in its receive buffer, so "
            f"the client's send buffer was full. The client never waited in select()/poll(): "
            f"/proc/PID/syscall showed it {describe_sample_counts(seen)}.\n"
            "When send() raises BlockingIOError (or takes only part of the data), wait with "
            "select.select([], [sock], []) until the socket is writable, then send the rest.")
    pid = program.main_pid()
    fd = reader.client_fd(pid) if pid else None
    nonblocking = is_nonblocking(pid, fd) if fd is not None else None
    if nonblocking is False:
        raise CheckFailed(
            f"The client waits in select(), but its socket (descriptor {fd}) is in blocking mode. "
            "Call sock.setblocking(False) after connecting, so send() never blocks.")
    if nonblocking is None:
        lab.note("could not read the flags of the client's socket descriptor; judged on select() alone")
    reader.drain(PatternCheck(PATTERN, TOTAL))  # let it finish; the bytes are judged by all_bytes


@pytest.mark.points(2)
@pytest.mark.budget(30)
def test_no_spinning(lab, reader):
    """While the server does not read, the client uses (almost) no CPU: it waits, it does not spin."""
    lab.hint = SYSCALL_HINT
    program = start_client(lab, reader)
    reader.hold_off(program)
    # Certain, not probable: measure only once /proc proves both buffers are
    # full (the queues stand still while we read nothing). A client that is
    # still legitimately copying data into its socket is never measured; one
    # that runs once send() can take nothing is spinning, whatever the scheduler did.
    if not reader.wait_full():
        reader.drain(PatternCheck(PATTERN, TOTAL))
        lab.note("the buffers never filled while the server held off reading, so spinning was not measured")
        return
    busy = busy_over(program.pids(), 0.5)
    lab.note(f"while the server held off reading, over {busy.wall:.2f} s the client used {busy.cpu:.3f} s of CPU, "
             f"wanted a CPU {busy.fraction:.0%} of the time (running or ready to run at {busy.awake} of "
             f"{busy.looks} looks), and went to sleep {busy.sleeps} times")
    reader.drain(PatternCheck(PATTERN, TOTAL))
    if busy.spinning():
        raise CheckFailed(
            f"While the server read nothing (the client's send buffer was full), the client never waited: over "
            f"{busy.wall:.2f} s it was running, or ready to run, {busy.fraction:.0%} of the time and went to "
            f"sleep {busy.sleeps} times (it used {busy.cpu:.2f} s of CPU on this shared machine). A client "
            "waiting in select() is asleep the whole time. Retrying send() in a loop burns a CPU core: "
            "wait in select.select([], [sock], []) instead.")


@pytest.mark.points(1)
@pytest.mark.budget(30)
def test_size_line(lab, reader):
    """It prints `Bytes to send: 7340032` before sending (other lines, e.g. progress, are allowed)."""
    program = start_client(lab, reader)
    reader.hold_off(program)
    early = normalize_lines(program.stdout().decode("utf-8", "replace"))
    reader.drain(PatternCheck(PATTERN, TOTAL))
    program.wait(3.0)
    printed = program.stdout().decode("utf-8", "replace")
    if SIZE_LINE in early:
        return
    if SIZE_LINE in normalize_lines(printed):
        raise CheckFailed(f"{SIZE_LINE!r} was printed only after sending; print it before the first send().")
    raise CheckFailed(f"Expected the line {SIZE_LINE!r} before sending. The program printed: "
                      f"{shorten(printed.encode(), 300)}")


@pytest.mark.points(1)
@pytest.mark.budget(30)
def test_exit_status(lab, reader):
    """After sending everything the client exits with status 0."""
    program = start_client(lab, reader)
    reader.hold_off(program)
    got = reader.drain(PatternCheck(PATTERN, TOTAL))
    code = program.wait(3.0)
    if code is None:
        raise CheckTimeout(
            f"The server read {got.check.received} bytes"
            f"{' and saw the end of stream' if got.eof else ''}, but 3 s later the client was still running "
            f"({state_of(program)}). It must close the socket and exit once everything is sent.")
    if code != 0:
        raise ProgramCrashed(f"The client {describe_exit(code)} (expected 0). Its stderr ends with:\n"
                             f"{program.stderr_tail()}")
