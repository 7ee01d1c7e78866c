"""Checks for time_service: time_server.py (TCP port 8888) and time_client.py [HOST].

One lab, two programs. The server_* checks start time_server.py (the lab's
`file`) and read what it sends until it closes; the time must parse as a
time.ctime() string (the program runs with TZ=UTC) within 2 s of the
harness's own clock. The client_* checks run time_client.py (the lab's
`client_file`) against a harness server on port 8888 that sends a fixed time
in two pieces, the second only after the client has read the first.
"""

import calendar
import time

import pytest

from harness.compare import normalize_lines, shorten
from harness.fake_servers_text import FragmentedReplyServer
from harness.outcomes import CheckFailed, ProgramCrashed
from harness.runner import compile_problem

CTIME_FORMAT = "%a %b %d %H:%M:%S %Y"
TOLERANCE = 2.0  # seconds between the server's time and the harness's clock
LATER = 3.5  # the second connection is made this long after the first answer's time


# ---- the server -------------------------------------------------------------

def fetch_time(lab, name):
    """Connect, read until the server closes, and return the time it sent (seconds since the epoch)."""
    before = time.time()
    client = lab.connect(name)
    data = client.recv_until_eof(timeout=3)
    after = time.time()
    client.abort()
    text = data.decode("ascii", "replace").strip()
    try:
        value = calendar.timegm(time.strptime(text, CTIME_FORMAT))  # TZ=UTC: the text is UTC
    except ValueError:
        raise CheckFailed(f"{name} received {shorten(data)}, which is not a time.ctime() string "
                          f"such as {time.ctime(before)!r}.") from None
    if not before - TOLERANCE <= value <= after + TOLERANCE:
        raise CheckFailed(
            f"{name} received {text!r}, but the time of this connection was {time.ctime(before)!r} "
            f"(UTC): the server's time is {abs(value - before):.0f} s off. Send time.ctime() as it is "
            "when the client connects, not a time read earlier.")
    lab.note(f"{text!r} is within {TOLERANCE:g} s of the harness's clock ({time.ctime(before)!r})")
    return value


@pytest.mark.points(3)
@pytest.mark.budget(10)
def test_server_time_now(lab):
    """A client reads until the server closes: it receives the current time as time.ctime() prints it."""
    lab.server()
    fetch_time(lab, "client")


@pytest.mark.points(3)
@pytest.mark.budget(15)
def test_server_time_later(lab):
    """A second client, a few seconds later, receives the time of its own connection (not the start-up time)."""
    program = lab.server()
    first = fetch_time(lab, "client 1")
    # The requirement itself is "a few seconds later": wait until the program has been up
    # for 3 s and the harness clock is LATER s past the time client 1 received, so a time
    # read once (at start-up or at the first connection) is more than TOLERANCE s off.
    wait = max(program.started_at + 3.0 - time.monotonic(), first + LATER - time.time(), 0.0)
    lab.note(f"waiting {wait:.1f} s before the next connection")
    time.sleep(wait)  # poll: a bounded wait that is the requirement itself
    fetch_time(lab, "client 2")


# ---- the client -------------------------------------------------------------

CLIENT_TRY = ("python3 time_server.py      # terminal 1 (or: printf 'Fri Feb 13 23:31:30 2009' | nc -l 8888)\n"
              "python3 time_client.py      # terminal 2: The time is ...")


def run_client(lab, args=(), timeout=5.0):
    """Run time_client.py (the lab's second file) to completion."""
    client_file = lab.setting("client_file", "time_client.py")
    problem = compile_problem(lab.source_path(client_file))
    if problem:
        raise ProgramCrashed(f"{client_file} cannot be started:\n{problem}")
    return lab.run(args, timeout=timeout, file=client_file)


def require_printed(program, expected):
    out = program.stdout().decode("utf-8", "replace")
    lines = normalize_lines(out)
    want = normalize_lines(expected)[0]
    if not lines or lines[-1] != want:
        last = lines[-1] if lines else "(nothing printed)"
        raise CheckFailed(
            f"The client should print {want!r} (everything the server sent, once it closed).\n"
            f"  last line printed: {last!r}\n  everything printed: {out[-400:]!r}\n"
            f"  its stderr ends with:\n{program.stderr_tail()}")


@pytest.mark.points(3)
@pytest.mark.budget(10)
def test_client_prints_time(lab):
    """Against a server on localhost:8888 that sends the time in two pieces, then closes: prints `The time is <time>`."""
    lab.hint = CLIENT_TRY
    server = lab.fake(FragmentedReplyServer(lab.port, lab.transcript, [b"Fri Feb 13 23:", b"31:30 2009"],
                                            name="time server"))
    program = run_client(lab)
    if not server.connections:
        raise CheckFailed(f"The client never connected to localhost:8888. Its stderr ends with:\n{program.stderr_tail()}")
    require_printed(program, "The time is Fri Feb 13 23:31:30 2009")


@pytest.mark.points(1)
@pytest.mark.budget(10)
def test_client_host_argument(lab):
    """With a HOST argument (127.0.0.7), the client connects to that host's port 8888."""
    lab.hint = "python3 time_client.py 127.0.0.7      # with a time server listening on 127.0.0.7:8888"
    server = lab.fake(FragmentedReplyServer(lab.port, lab.transcript, [b"Sat Jan  1 00:", b"00:00 2000"],
                                            host="127.0.0.7", name="time server"))
    program = run_client(lab, ["127.0.0.7"])
    if not server.connections:
        raise CheckFailed(f"The client never connected to 127.0.0.7:8888. Its stderr ends with:\n{program.stderr_tail()}")
    lines = normalize_lines(program.stdout().decode("utf-8", "replace"))
    if not lines or not lines[-1].startswith("The time is"):
        # How the time is read and printed is client_prints_time's business; here any `The time is` line will do.
        raise CheckFailed(f"The client connected to 127.0.0.7:8888 but did not print a line starting with "
                          f"'The time is'. It printed: {program.stdout()[-300:]!r}\n"
                          f"Its stderr ends with:\n{program.stderr_tail()}")
