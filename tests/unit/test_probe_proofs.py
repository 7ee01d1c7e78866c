"""The /proc proofs the probe moves arrange their schedules with (harness.probes.server).

Real loopback sockets held by this test process; the "program" is this
process, so its fd table is readable.
"""

from __future__ import annotations

import os
import socket
import sys
from types import SimpleNamespace

import pytest

from harness import procfs
from harness.probes.server import held_and_quiet, holds
from harness.waiting import poll

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc proofs need Linux")


@pytest.fixture
def pair():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    client = socket.create_connection(listener.getsockname())
    server, _ = listener.accept()
    lab = SimpleNamespace(port=listener.getsockname()[1])
    port, mine = listener.getsockname()[1], client.getsockname()[1]
    conv = SimpleNamespace(local_port=mine,  # the two look-ups of a Conversation (harness.conversation)
                           theirs=lambda: procfs.connection(port, mine, "127.0.0.1", "127.0.0.1"),
                           mine=lambda: procfs.connection(mine, port, "127.0.0.1", "127.0.0.1"))
    me = SimpleNamespace(pids=lambda: [os.getpid()])
    try:
        yield lab, me, conv, client, server
    finally:
        for s in (client, server, listener):
            s.close()


def test_held_and_quiet_when_nothing_in_flight(pair):
    lab, me, conv, _client, _server = pair
    assert poll(lambda: held_and_quiet(lab, me, conv), 2.0)


def test_not_quiet_while_bytes_wait_unread(pair):
    lab, me, conv, client, _server = pair
    client.sendall(b"unread")
    assert poll(lambda: procfs.connection(lab.port, conv.local_port).rx_queue == 6, 2.0)
    assert held_and_quiet(lab, me, conv) is False


def test_not_held_by_a_process_without_the_socket(pair):
    lab, _me, conv, _client, _server = pair
    row = procfs.connection(lab.port, conv.local_port)
    assert holds(SimpleNamespace(pids=lambda: [os.getpid()]), row.inode) is True
    assert holds(SimpleNamespace(pids=lambda: [1 << 30]), row.inode) is None  # no such pid: no evidence


def test_not_held_once_the_server_closed(pair):
    lab, me, conv, _client, server = pair
    server.close()
    assert poll(lambda: held_and_quiet(lab, me, conv) is False, 2.0)
