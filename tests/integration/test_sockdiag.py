"""Netlink look-ups (harness.sockdiag) give the rows /proc/net gives, state by state.

Real sockets on this machine's loopback, in every state the checks rely on:
LISTEN with a non-empty accept queue, SYN_RECV, ESTABLISHED with unread and
unacknowledged bytes, FIN_WAIT2 / CLOSE_WAIT, TIME_WAIT, UDP bound and with a
queued datagram. Only our own ports are compared (other programs on the
machine come and go between two reads).
"""

from __future__ import annotations

import operator
import socket

import pytest

from harness import procfs, sockdiag
from harness.waiting import poll

pytestmark = pytest.mark.skipif(sockdiag.query(("tcp",), local_port=1) is None,
                                reason="netlink sock_diag refused here: /proc is used instead")


def _both(protos: tuple[str, ...], **filters) -> tuple[list, list]:
    fast = procfs.socket_rows(protos, **filters)
    slow = [r for r in procfs.proc_socket_rows(protos)
            if all(getattr(r, k) == v for k, v in filters.items() if k != "states")
            and ("states" not in filters or r.state in filters["states"])]
    return sorted(fast, key=repr), sorted(slow, key=repr)


def _same(protos: tuple[str, ...], **filters) -> tuple[list, list]:
    """Both readings, once they agree (two reads are two moments: a FIN may land in between)."""
    poll(lambda: operator.eq(*_both(protos, **filters)), 2.0)
    return _both(protos, **filters)


def test_tcp_states_and_queues_match():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    keep = [listener]
    try:
        client = socket.create_connection(("127.0.0.1", port))
        server, _ = listener.accept()
        client.sendall(b"x" * 1000)  # unread on the server side: rx_queue 1000
        keep += [client, server]
        for first in ("client", "server"):  # TIME_WAIT on either side; FIN_WAIT2 / CLOSE_WAIT before that
            c = socket.create_connection(("127.0.0.1", port))
            s, _ = listener.accept()
            (c if first == "client" else s).close()
            keep += [s if first == "client" else c]
        half = socket.create_connection(("127.0.0.1", port))
        s, _ = listener.accept()
        s.close()
        half.close()  # both closed: TIME_WAIT on the server's end
        for _ in range(3):  # the accept queue fills (backlog 1), then SYN_RECV
            pending = socket.socket()
            pending.setblocking(False)
            pending.connect_ex(("127.0.0.1", port))
            keep.append(pending)
        fast, slow = _same(("tcp", "tcp6"), local_port=port)
        assert fast == slow
        assert {"LISTEN", "ESTABLISHED", "TIME_WAIT"} <= {r.state for r in fast}
        assert any(r.rx_queue == 1000 for r in fast)
        for state in ("LISTEN", "TIME_WAIT", "ESTABLISHED", "CLOSE_WAIT", "FIN_WAIT2", "SYN_RECV"):
            fast, slow = _same(("tcp", "tcp6"), local_port=port, states=(state,))
            assert fast == slow, state
        row = procfs.connection(client.getsockname()[1], port)
        assert row is not None and row.state == "ESTABLISHED"
        fast, slow = _same(("tcp",), remote_port=port)
        assert fast == slow and fast
    finally:
        for sock in keep:
            sock.close()


def test_udp_rows_match():
    a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    a.bind(("127.0.0.1", 0))
    port = a.getsockname()[1]
    try:
        a.sendto(b"queued", ("127.0.0.1", port))
        fast, slow = _same(("udp", "udp6"), local_port=port)
        assert fast == slow and len(fast) == 1 and fast[0].state == "07" and fast[0].rx_queue > 0
    finally:
        a.close()


@pytest.mark.parametrize("family", [socket.AF_INET, socket.AF_INET6])
def test_exact_look_ups_give_the_dumps_rows(family):
    """procfs.connection with both addresses (one hash look-up, harness.sockdiag.exact) finds what the
    dump finds, in every state, also for a server listening on '::' (v4-mapped ends), and never
    mistakes the port's listener for a connection."""
    listener = socket.socket(family)
    listener.bind(("::" if family == socket.AF_INET6 else "127.0.0.1", 0))
    listener.listen(4)
    port = listener.getsockname()[1]
    keep = [listener]
    try:
        client = socket.create_connection(("127.0.0.1", port))
        server, _ = listener.accept()
        client.sendall(b"x" * 1000)
        keep += [client, server]
        c = socket.create_connection(("127.0.0.1", port))
        s, _ = listener.accept()
        c.close()  # FIN_WAIT2 here, CLOSE_WAIT there
        keep.append(s)
        queued = socket.create_connection(("127.0.0.1", port))  # still in the accept queue
        keep.append(queued)
        rows = [r for r in _same(("tcp", "tcp6"), local_port=port)[0] if r.state != "LISTEN"]
        rows += [r for r in _same(("tcp",), remote_port=port)[0]]
        assert {"ESTABLISHED", "CLOSE_WAIT", "FIN_WAIT2"} <= {r.state for r in rows}
        for row in rows:
            found = procfs.connection(row.local_port, row.remote_port, "127.0.0.1", "127.0.0.1")
            assert found == row, row
        assert procfs.connection(port, 1, "127.0.0.1", "127.0.0.1") is None  # the listener is not it
    finally:
        for sock in keep:
            sock.close()
