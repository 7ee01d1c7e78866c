"""Checks for tcp_echo_client: echo_client.py against the harness's echo server.

The harness plays the echo server on localhost:9000. It answers every line in
three pieces, each sent only after the client read the previous one, so a
client that assumes one recv() returns one whole line prints the wrong thing
every time, not just when the network is slow.
"""

import random
import string

import pytest

from harness.compare import describe_bytes_mismatch, describe_lines_mismatch
from harness.fakes import FragmentingEchoServer
from harness.observe import RECEIVING, blocked_in_threads
from harness.outcomes import CheckFailed


def echo_session(lab, stdin, timeout=5.0):
    """Start the fragmenting echo server, run the client with stdin, return (program, server)."""
    started = []

    def client_waiting():
        # Provably waiting for the rest of the echo: no thread of the client's
        # process runs, and one is blocked in a receive (recv, readline, select,
        # a socket time-out's poll). Every thread counts, so a client whose main
        # thread waits on a reader thread is seen waiting too.
        pid = started[0].main_pid() if started else None
        if pid is None:
            return False
        states = [s for s in blocked_in_threads([pid]) if s]
        if not states:
            return True  # /proc unreadable: no evidence either way
        return "running" not in states and any(s in RECEIVING for s in states)

    server = lab.fake(FragmentingEchoServer(lab.port, lab.transcript, pieces=3, client_waiting=client_waiting))
    program = lab.start(stdin=stdin)
    started.append(program)
    lab.finish(program, timeout)
    return program, server


SHORT = b"hello\nsocket world\n  indented line\nlast one\n"


@pytest.mark.points(3)
@pytest.mark.budget(10)
def test_echo_lines(lab):
    """A few short lines: each echoed line is printed (blank lines and trailing spaces are not judged here)."""
    program, _ = echo_session(lab, SHORT)
    printed = "\n".join(line for line in program.stdout().decode("utf-8", "replace").splitlines() if line.strip())
    problem = describe_lines_mismatch([line for line in SHORT.decode().splitlines()], printed)
    if problem:
        raise CheckFailed(f"Standard input was {SHORT!r}; the client should print each echoed line.\n{problem}")


@pytest.mark.points(3)
@pytest.mark.budget(15)
def test_long_line(lab):
    """A 200 KB line, echoed in three pieces, is printed whole."""
    rng = random.Random(200)
    line = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(200_000)).encode() + b"\n"
    program, _ = echo_session(lab, line, timeout=8)
    got = program.stdout().rstrip(b"\n")
    problem = describe_bytes_mismatch(line.rstrip(b"\n"), got)
    if problem:
        raise CheckFailed(
            "Standard input was one line of 200,000 characters. The server echoed it in three pieces; "
            f"the client must keep reading until the whole line is back.\n{problem}")


@pytest.mark.points(2)
@pytest.mark.budget(10)
def test_output_exact(lab):
    """Standard output is exactly what the server sent back: no extra newlines, spaces kept."""
    stdin = b"tabs\tand  two spaces  \n\nUPPER lower 123\n"
    program, _ = echo_session(lab, stdin)
    problem = describe_bytes_mismatch(stdin, program.stdout())
    if problem:
        raise CheckFailed(
            f"Standard input was {stdin!r}. Standard output must be byte for byte what came back "
            "(hint: print(data.decode()) adds a newline; write the bytes with sys.stdout.buffer.write "
            f"or print(..., end='')).\n{problem}")


@pytest.mark.points(2)
@pytest.mark.budget(10)
def test_exit_status(lab):
    """At the end of standard input the client exits with status 0."""
    program, _ = echo_session(lab, b"one\ntwo\n")
    if program.returncode != 0:
        raise CheckFailed(f"The client exited with status {program.returncode}, expected 0.\n"
                          f"Its stderr ends with:\n{program.stderr_tail()}")


@pytest.mark.points(3)
@pytest.mark.budget(10)
def test_waits_for_echo(lab):
    """The next line is sent only after the whole echo of the previous one arrived."""
    _, server = echo_session(lab, b"first line\nsecond line\nthird line\n")
    if server.early:
        index, early = server.early[0]
        raise CheckFailed(
            f"While the echo of line {index + 1} was still incomplete (its last piece held back until the "
            f"client was waiting for it), the client already sent {early[:60]!r}. Read the whole echo of a "
            "line before sending the next one.")


@pytest.mark.points(2)
@pytest.mark.budget(10)
def test_refused(lab):
    """With no server running, the client prints a one-line error and exits non-zero (no traceback, no hang)."""
    lab.hint = "python3 echo_client.py < /dev/null    # with no server on port 9000"
    program = lab.run(stdin=b"hello\n", timeout=5)
    out = (program.stdout() + program.stderr()).decode("utf-8", "replace")
    lines = [line for line in out.splitlines() if line.strip()]
    if "Traceback" in out:
        raise CheckFailed("With no server listening, the client crashed with a traceback instead of a "
                          f"one-line error. Catch ConnectionRefusedError (or OSError).\nIt printed:\n{out[-800:]}")
    if program.returncode == 0:
        raise CheckFailed("With no server listening, the client exited with status 0; it must exit non-zero.")
    if not lines or len(lines) > 2:
        raise CheckFailed(f"Expected a one-line error message, got {len(lines)} lines: {out[-400:]!r}")
