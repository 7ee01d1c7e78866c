"""Checks for line_counter: welcome_server.py on TCP port 51423 (SO_REUSEADDR).

Each check starts the program afresh in its own network namespace. A client
waits for the prompt, sends one line, and reads until the server closes; the
reply must end with `You entered N characters.\\n`, N being the length of the
line without surrounding white space. The exact greeting is judged by
`greeting` alone, so one mistake costs one check.
"""

import errno
import socket

import pytest

from harness import procfs
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


def expect_count(client, line, raw_ok=False):
    """Everything up to the server's close must end with the count for `line`.

    raw_ok: the count of the raw line (white space and line end included) is
    accepted too. Checks about something else than counting use it, so that
    mistake costs `counts` only.
    """
    rest = client.recv_until_eof(timeout=3)
    for count in (count_of(line), len(line)) if raw_ok else (count_of(line),):
        if rest.endswith(reply_for(count)):
            return
    expected = reply_for(count_of(line))
    tail = rest[-len(expected):] if len(rest) > len(expected) else rest
    problem = describe_bytes_mismatch(expected, tail)
    raise CheckFailed(f"{client.name} sent {line!r} and expected the reply {expected!r} before the server "
                      f"closed; it received {shorten(rest)}:\n{problem}")


def converse(lab, name, line, source=None, raw_ok=False):
    client = lab.connect(name, source=source)
    wait_for_prompt(lab, client)
    client.send(line)
    expect_count(client, line, raw_ok)
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
    expect_count(client, line, raw_ok=True)


@pytest.mark.points(2)
@pytest.mark.budget(10)
def test_client_leaves_fin(lab):
    """A client that closes its connection (FIN) without sending a line does not stop the server."""
    lab.server()
    quitter = lab.connect("client A")
    wait_for_prompt(lab, quitter)
    quitter.close()
    converse(lab, "client B", b"still here\n", raw_ok=True)


@pytest.mark.points(2)
@pytest.mark.budget(10)
def test_client_leaves_rst(lab):
    """A client that aborts its connection (RST) without sending a line does not stop the server."""
    lab.server()
    quitter = lab.connect("client A")
    wait_for_prompt(lab, quitter)
    quitter.abort()
    converse(lab, "client B", b"still here\n", raw_ok=True)


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
    probe = socket.socket()
    try:
        probe.bind(("", port))
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
    else:
        raise HarnessError(f"the TIME_WAIT on port {port} does not block a bind without SO_REUSEADDR")
    finally:
        probe.close()
    lab.note(f"left a connection in TIME_WAIT on port {port} (as a previous run of the server would)")


@pytest.mark.points(2)
@pytest.mark.budget(10)
def test_restart_reuse_addr(lab):
    """With a connection of an earlier run still in TIME_WAIT on port 51423, the server starts (SO_REUSEADDR before bind)."""
    lab.hint = ("python3 welcome_server.py      # connect with nc 127.0.0.1 51423, answer, then Ctrl-C the server\n"
                "python3 welcome_server.py      # at once again: without SO_REUSEADDR, Address already in use")
    leave_time_wait(lab, lab.port)
    lab.server(timeout=3)
    converse(lab, "client", b"after a restart\n", raw_ok=True)
