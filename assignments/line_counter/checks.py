"""Checks for line_counter: welcome_server.py on TCP port 51423 (SO_REUSEADDR).

Each check starts the program afresh in its own network namespace. A client
waits for the prompt, sends one line, and reads until the server closes; the
reply must end with `You entered N characters.\\n`, N being the length of the
line without surrounding white space. The exact greeting is judged by
`greeting` alone and the reply's exact bytes by `counts` alone, so one mistake
costs one check: `fragmented_line` judges only the number, the survival
checks only "client B got a reply, then EOF".
"""

import errno
import re
import socket

import pytest

from harness import procfs, timewait
from harness.compare import describe_bytes_mismatch, shorten
from harness.fake_servers_text import expect_line, recv_until
from harness.outcomes import CheckFailed, HarnessError
from harness.waiting import poll

PROMPT = b"Please enter a string: "


def count_of(line: bytes) -> int:
    return len(line.decode("ascii").strip())


def reply_for(count: int) -> bytes:
    return f"You entered {count} characters.\n".encode()


def wait_for_prompt(lab, client):
    """Read the greeting and the prompt; if the prompt never comes, say so and go on."""
    got, how = recv_until(client, PROMPT, timeout=2)
    if how != "found":
        lab.note(f"{client.name} did not receive the prompt {PROMPT!r} (it received {shorten(got)}); "
                 "sending the line anyway")


def reply_part(rest):
    """The server's reply within everything it sent: from `You entered` (or from after the prompt) on.

    The byte diff starts here, so its offsets count from the reply's first
    byte, not from wherever the last len(expected) bytes happen to begin.
    """
    at = rest.rfind(b"You entered")
    if at < 0:
        at = rest.rfind(PROMPT)
        at = 0 if at < 0 else at + len(PROMPT)
    return rest[at:]


# Any reply of this shape. Checks about something else than the reply's exact
# bytes use it: the count, spacing and line end are judged by `counts` alone.
SOME_REPLY = re.compile(rb"You entered\s*(\d+)\s*characters")


def mismatch(client, line, rest, wanted):
    expected = reply_for(count_of(line))
    problem = describe_bytes_mismatch(expected, reply_part(rest))
    return CheckFailed(f"{client.name} sent {line!r} and expected {wanted} {expected!r} before the server "
                       f"closed; it received {shorten(rest)}:\n{problem}\n(byte offsets count from the "
                       "start of the reply)")


def expect_count(client, line):
    """Everything up to the server's close must end with exactly the reply for `line`."""
    rest = client.recv_until_eof(timeout=3)
    if not rest.endswith(reply_for(count_of(line))):
        raise mismatch(client, line, rest, "the reply")


def expect_number(client, line):
    """The reply counts the whole line: N is its stripped or its raw length, whatever the reply's spacing.

    The raw length is accepted too, and a stray space is not judged: those
    mistakes cost `counts` only.
    """
    rest = client.recv_until_eof(timeout=3)
    found = SOME_REPLY.findall(rest)
    if not found or int(found[-1]) not in (count_of(line), len(line)):
        raise mismatch(client, line, rest, "a reply counting the whole line, like")


def expect_served(client, line):
    """The server answered `line` with some `You entered N characters` reply, then closed (EOF)."""
    rest = client.recv_until_eof(timeout=3)
    if not SOME_REPLY.search(rest):
        raise mismatch(client, line, rest, "a reply like")


def converse(lab, name, line, judge=expect_count):
    """One client: prompt, line, reply judged by `judge` (exact bytes, or expect_served for "still served")."""
    client = lab.connect(name)
    wait_for_prompt(lab, client)
    client.send(line)
    judge(client, line)
    client.abort()


@pytest.mark.points(3)
@pytest.mark.budget(10)
def test_greeting(lab):
    """A client from 127.0.0.42 is greeted with `Welcome, ('127.0.0.42', PORT)` (its real port), then the prompt."""
    lab.hint = ("python3 welcome_server.py\n"
                "nc -s 127.0.0.42 127.0.0.1 51423     # Welcome, ('127.0.0.42', <nc's port>)")
    lab.server()
    client = lab.connect("client", source="127.0.0.42")
    expect_line(client, f"Welcome, ('127.0.0.42', {client.local_port})\n".encode(),
                what=" (the client's address as accept() returns it, printed as a Python tuple)")
    client.expect(PROMPT, what=" (the prompt, with no newline after it)")


@pytest.mark.points(3)
@pytest.mark.budget(15)
def test_counts(lab):
    """Several lines, one per connection: the count ignores surrounding spaces, tabs and the line end (LF or CRLF)."""
    lab.server()
    lines = [b"hello\n", b"  spaced out words  \n", b"crlf line\r\n", b"\ttabs and trailing spaces \t \n", b"x\n"]
    for i, line in enumerate(lines):
        converse(lab, f"client {i + 1}", line)


@pytest.mark.points(2)
@pytest.mark.budget(10)
def test_fragmented_line(lab):
    """A line that arrives in three pieces (each read by the server before the next is sent) is counted whole."""
    lab.hint = ("python3 welcome_server.py\n"
                "nc 127.0.0.1 51423      # type 'frag', then Ctrl-D (sends it without a newline), "
                "then 'mented line' and Enter")
    lab.server()
    client = lab.connect("client")
    wait_for_prompt(lab, client)
    pieces = [b"frag", b"mented li", b"ne\n"]
    try:
        client.send_fragments(pieces)
    except CheckFailed:
        lab.note("the server closed the connection before the whole line was sent")
    line = b"".join(pieces)
    expect_number(client, line)


@pytest.mark.points(2)
@pytest.mark.budget(10)
def test_client_leaves_fin(lab):
    """A client that closes its connection (FIN) without sending a line does not stop the server."""
    lab.server()
    quitter = lab.connect("client A")
    wait_for_prompt(lab, quitter)
    quitter.close()
    converse(lab, "client B", b"still here\n", expect_served)


@pytest.mark.points(2)
@pytest.mark.budget(10)
def test_client_leaves_rst(lab):
    """A client that aborts its connection (RST) without sending a line does not stop the server."""
    lab.server()
    quitter = lab.connect("client A")
    wait_for_prompt(lab, quitter)
    quitter.abort()
    converse(lab, "client B", b"still here\n", expect_served)


def leave_time_wait(lab, port):
    """Leave a TIME_WAIT connection on `port`, made by a listener that had SO_REUSEADDR.

    The harness's own server side closes first, then its client: the server
    side of that connection stays in TIME_WAIT for 60 s. Linux lets a new
    listener bind the port through it only if it sets SO_REUSEADDR before
    bind() (the old socket had it too, which is what a previous run of a
    correct program leaves behind).
    """
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(1)
    client = socket.create_connection(("127.0.0.1", port), timeout=2)
    server, _ = listener.accept()
    listener.close()
    server.close()  # the server side closes first: it is the one left in TIME_WAIT
    client.recv(1)  # b'': the FIN arrived
    client.close()
    if not poll(lambda: "TIME_WAIT" in procfs.states_on_port(port), 2):
        raise HarnessError(f"could not leave a TIME_WAIT connection on port {port}: {procfs.states_on_port(port)}")
    if timewait.bind_error("0.0.0.0", port) != errno.EADDRINUSE:
        raise HarnessError(f"the TIME_WAIT on port {port} does not block a bind without SO_REUSEADDR")
    lab.note(f"left a connection in TIME_WAIT on port {port} (as a previous run of the server would)")


@pytest.mark.points(2)
@pytest.mark.budget(10)
def test_restart_reuse_addr(lab):
    """With a connection of an earlier run still in TIME_WAIT on port 51423, the server starts (SO_REUSEADDR before bind)."""
    lab.hint = ("python3 welcome_server.py      # connect with nc 127.0.0.1 51423, answer, then Ctrl-C the server\n"
                "python3 welcome_server.py      # at once again: without SO_REUSEADDR, Address already in use")
    leave_time_wait(lab, lab.port)
    lab.server(timeout=3)
    converse(lab, "client", b"after a restart\n", expect_served)
