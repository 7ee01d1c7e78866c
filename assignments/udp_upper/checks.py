"""Checks for udp_upper: udp_server.py on UDP port 12000.

Each check starts the program afresh in its own network namespace and sends
it datagrams from harness sockets, one request in flight per socket
(stop-and-wait), and compares every reply byte for byte.
"""

import random
import string

import pytest

from harness.outcomes import CheckFailed, CheckTimeout
from harness.udp import rcvbuf_errors, udp_client, upper_ascii


def explain_exit(lab, program):
    if program.wait(0.5) is not None:  # bounded: only on the failure path
        lab.note(f"the server exited (status {program.returncode}): it must answer datagrams in a loop, forever")


@pytest.mark.points(3)
@pytest.mark.budget(10)
def test_uppercase(lab):
    """Letters come back upper-cased; digits, punctuation, spaces and the newline are unchanged."""
    lab.server()
    client = udp_client(lab)
    message = b"hello, World! 42 times: a-z & 0-9 stay put {x_y=1}?  \n"
    client.request(message, upper_ascii(message))


@pytest.mark.points(3)
@pytest.mark.budget(10)
def test_two_clients(lab):
    """Two clients (one at 127.0.0.1, one at 127.0.0.2), interleaved: each gets its own reply."""
    lab.hint = ("python3 udp_server.py\n"
                "nc -u -s 127.0.0.1 127.0.0.1 12000     # and, in another terminal:\n"
                "nc -u -s 127.0.0.2 127.0.0.1 12000")
    lab.server()
    a = udp_client(lab, "client A", source="127.0.0.1")
    b = udp_client(lab, "client B", source="127.0.0.2")
    a.request(b"alpha says hi", b"ALPHA SAYS HI")
    try:
        b.request(b"bravo says hi", b"BRAVO SAYS HI", attempts=1, timeout=2.0)
    except CheckTimeout:
        stray = a.receive(0.5)  # bounded: only on the failure path, to say where B's reply went
        if stray and stray[0] == b"BRAVO SAYS HI":
            lab.note("client A received the reply meant for client B: reply to the address recvfrom() returned "
                     "for this datagram, not to one remembered earlier")
        raise
    # Both send before either reads: each reply must still go to its own sender.
    a.send(b"alpha again")
    b.send(b"bravo again")
    b.expect_reply(b"BRAVO AGAIN", what=" to client B's second datagram")
    a.expect_reply(b"ALPHA AGAIN", what=" to client A's second datagram")


@pytest.mark.points(2)
@pytest.mark.budget(10)
def test_large_datagram(lab):
    """A 2048-byte datagram comes back whole, in one datagram of 2048 bytes."""
    rng = random.Random(12000)
    message = "".join(rng.choice(string.ascii_lowercase + string.digits + " .,;!?-") for _ in range(2048)).encode()
    lab.hint = ("python3 udp_server.py\n"
                "python3 -c \"import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
                "s.sendto(b'x' * 2048, ('127.0.0.1', 12000)); print(len(s.recvfrom(65535)[0]))\"")
    lab.server()
    client = udp_client(lab)
    client.request(message, upper_ascii(message), what=" (2048 bytes)")


@pytest.mark.points(2)
@pytest.mark.budget(15)
def test_many_datagrams(lab):
    """100 datagrams in a row, each sent once the previous one was answered, are all answered."""
    program = lab.server()
    client = udp_client(lab)
    before = rcvbuf_errors()
    for i in range(100):
        message = f"datagram {i + 1:03d} of 100: the quick brown fox".encode()
        try:
            client.request(message, upper_ascii(message), what=f" (datagram {i + 1} of 100)")
        except CheckFailed:
            explain_exit(lab, program)
            raise
    after = rcvbuf_errors()
    if before is not None and after is not None and after != before:
        lab.note(f"the kernel dropped {after - before} datagram(s) for a full receive buffer (retried)")
