"""Checks for tcp_echo: echo_server.py on TCP port 9000.

Each check starts the program afresh in its own network namespace, talks to
it as one or more clients, and compares bytes exactly. The moves live in
harness.probes (shared with select_echo, threaded_echo and forking_echo);
each check below is its script.
"""

import pytest

from harness import probes


@pytest.mark.points(2)
@pytest.mark.budget(10)
def test_echo_short(lab):
    """A short message comes back unchanged."""
    probes.echo_short(lab)


@pytest.mark.points(2)
@pytest.mark.budget(10)
def test_echo_no_newline(lab):
    """A message without a newline is echoed while the client waits (it neither sends more nor closes)."""
    probes.echo_no_newline(lab)


@pytest.mark.points(2)
@pytest.mark.budget(10)
def test_echo_several(lab):
    """Several messages on one connection, each echoed before the next is sent."""
    probes.echo_several(lab)


@pytest.mark.points(3)
@pytest.mark.budget(20)
def test_echo_large(lab):
    """1 MiB of random bytes is echoed byte-exact while the client reads concurrently."""
    probes.echo_large(lab)


@pytest.mark.points(2)
@pytest.mark.budget(20)
def test_echo_bytewise(lab):
    """A message sent one byte at a time (each byte read by the server before the next) comes back whole."""
    probes.echo_bytewise(lab)


@pytest.mark.points(2)
@pytest.mark.budget(10)
def test_all_byte_values(lab):
    """All 256 byte values (binary data, not text) come back unchanged."""
    probes.all_byte_values(lab)


@pytest.mark.points(2)
@pytest.mark.budget(15)
def test_clients_in_turn(lab):
    """Five clients one after another: each is echoed, and the server closes when the client is done."""
    probes.clients_in_turn(lab)


@pytest.mark.points(2)
@pytest.mark.budget(10)
def test_survives_reset(lab):
    """A client that aborts its connection (RST) does not stop the server: the next client is served."""
    probes.survives_reset(lab)


@pytest.mark.points(3)
@pytest.mark.budget(15)
def test_shutdown_flush(lab):
    """After the client shuts down its write side, the server sends back everything it owes, then closes."""
    probes.shutdown_flush(lab)
