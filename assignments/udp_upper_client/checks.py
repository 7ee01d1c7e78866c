"""Checks for udp_upper_client: udp_client.py [HOST], to UDP port 12000.

The harness plays the upper-case server (a fake bound to UDP port 12000 in the
check's own network namespace) and decides, by count, whether it answers.
The client reads one sentence from standard input (a file the harness gives).
"""

import pytest

from harness.compare import normalize_lines, shorten
from harness.outcomes import CheckFailed
from harness.udp import FakeUdpServer

SENTENCE = "hello, udp world 123!"
REPLY = SENTENCE.upper()


def sent_sentence(lab, server, address, program):
    """The one datagram the client sent, which must hold the sentence (a trailing newline is fine)."""
    requests = server.received()
    if not requests:
        raise CheckFailed(f"The server at {address}:12000 received no datagram from the client.\n"
                          f"  the client printed: {program.stdout()[-300:]!r}\n"
                          f"  its stderr ends with:\n{program.stderr_tail()}")
    data = requests[0].data
    if data.rstrip(b"\r\n") != SENTENCE.encode():
        raise CheckFailed(f"The client sent {shorten(data)}; expected the sentence it read, "
                          f"{SENTENCE.encode()!r} (a trailing newline is allowed).")
    if len(requests) > 1:
        lab.note(f"the client sent {len(requests)} datagrams")


def require_reply_printed(program):
    out = program.stdout().decode("utf-8", "replace")
    lines = normalize_lines(out)
    if not lines or not lines[-1].endswith(REPLY):
        last = lines[-1] if lines else "(nothing printed)"
        raise CheckFailed(f"The last line printed should end with the server's reply {REPLY!r}.\n"
                          f"  last line printed: {last!r}\n  everything printed: {out[-400:]!r}")
    if program.returncode != 0:
        raise CheckFailed(f"The reply was printed, but the client exited with status {program.returncode} "
                          f"(expected 0 after a reply). Its stderr ends with:\n{program.stderr_tail()}")


@pytest.mark.points(4)
@pytest.mark.budget(10)
def test_reply_printed(lab):
    """The sentence from standard input goes to localhost:12000; the reply is printed; exit status 0."""
    server = lab.fake(FakeUdpServer(lab.port, lab.transcript))
    program = lab.run(stdin=f"{SENTENCE}\n".encode(), timeout=5)
    sent_sentence(lab, server, "127.0.0.1", program)
    require_reply_printed(program)


@pytest.mark.points(2)
@pytest.mark.budget(10)
def test_host_argument(lab):
    """With a HOST argument (127.0.0.5), the client sends to that host instead of localhost."""
    lab.hint = "echo 'hello there' | python3 udp_client.py 127.0.0.5   # with a server bound to 127.0.0.5:12000"
    server = lab.fake(FakeUdpServer(lab.port, lab.transcript, host="127.0.0.5"))
    program = lab.run(["127.0.0.5"], stdin=f"{SENTENCE}\n".encode(), timeout=5)
    sent_sentence(lab, server, "127.0.0.5", program)
    # How the reply is printed is reply_printed's business; here it only has to show up.
    if REPLY not in program.stdout().decode("utf-8", "replace"):
        raise CheckFailed(f"The server at 127.0.0.5 answered {REPLY!r}, but the client did not print it. "
                          f"It printed: {program.stdout()[-300:]!r}\nIts stderr ends with:\n{program.stderr_tail()}")


@pytest.mark.points(4)
@pytest.mark.budget(12)
def test_times_out(lab):
    """When no reply comes, the client prints `Request timed out` and exits with status 1, within 5 s."""
    lab.hint = ("echo 'hello there' | python3 udp_client.py 127.0.0.9   # nothing answers there\n"
                "echo $?                                               # must print 1")
    server = lab.fake(FakeUdpServer(lab.port, lab.transcript, drop=lambda n: True))
    program = lab.run(stdin=f"{SENTENCE}\n".encode(), timeout=5)
    sent_sentence(lab, server, "127.0.0.1", program)
    printed = (program.stdout() + b"\n" + program.stderr()).decode("utf-8", "replace")
    if "request timed out" not in printed.lower():
        raise CheckFailed("The server never answered, so the client should print `Request timed out`; it printed:\n"
                          f"  stdout: {program.stdout()[-300:]!r}\n  stderr ends with:\n{program.stderr_tail()}")
    if "Traceback (most recent call last)" in program.stderr().decode("utf-8", "replace"):
        raise CheckFailed("The client printed a traceback when the request timed out: catch socket.timeout "
                          f"and print only the message. Its stderr ends with:\n{program.stderr_tail()}")
    if program.returncode != 1:
        raise CheckFailed(f"After `Request timed out` the client exited with status {program.returncode}; "
                          "expected 1 (sys.exit(1)).")
