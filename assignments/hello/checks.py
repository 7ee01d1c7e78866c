"""Checks for hello: hello_server.py on TCP port 9000.

Each check starts the program afresh in its own network namespace. The
harness connects from non-default loopback addresses (127.0.0.42 and so on;
every 127.x.y.z address works on Linux), so only a server that greets the
address the connection really came from passes. The exact greeting is judged
by `greeting` alone; the other checks accept any greeting that starts with
`Hello`, so one mistake costs one check.
"""

import pytest

from harness.compare import shorten
from harness.fake_servers_text import expect_line
from harness.outcomes import CheckFailed


def greeted_then_closed(client):
    """Read until the server closes; the data must be some greeting."""
    data = client.recv_until_eof(timeout=3)
    if not data.startswith(b"Hello"):
        raise CheckFailed(f"{client.name} expected a greeting starting with b'Hello', then end of stream; "
                          f"received {shorten(data)} before the server closed")


@pytest.mark.points(4)
@pytest.mark.budget(10)
def test_greeting(lab):
    """A client connecting from 127.0.0.42 receives exactly `Hello 127.0.0.42` and a newline."""
    lab.server()
    client = lab.connect("client", source="127.0.0.42")
    expect_line(client, b"Hello 127.0.0.42\n",
                what=" (the address this client connected from, as accept() returns it)")


@pytest.mark.points(3)
@pytest.mark.budget(10)
def test_closes(lab):
    """After the greeting the server closes the connection: the client sees end of stream within 3 s."""
    lab.server()
    client = lab.connect("client", source="127.0.0.43")
    greeted_then_closed(client)


@pytest.mark.points(3)
@pytest.mark.budget(15)
def test_ten_clients(lab):
    """Ten clients in a row, from 127.0.0.10 to 127.0.0.19: each is greeted, then the server closes."""
    lab.server()
    for i in range(10):
        client = lab.connect(f"client {i + 1}", source=f"127.0.0.{10 + i}")
        greeted_then_closed(client)
        client.abort()
