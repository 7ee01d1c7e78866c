"""harness.stall: nothing is on its way only while both ends of the connection are open and their queues empty."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from harness.procfs import SocketRow
from harness.stall import nothing_on_the_way


def row(state: str, rx: int = 0, tx: int = 0) -> SocketRow:
    return SocketRow(proto="tcp", local_port=1, remote_port=2, state=state, tx_queue=tx, rx_queue=rx, inode=1)


@dataclass
class Client:
    ours: SocketRow | None
    server: SocketRow | None

    def mine(self) -> SocketRow | None:
        return self.ours

    def theirs(self) -> SocketRow | None:
        return self.server


@pytest.mark.parametrize(("ours", "server"), [
    (row("ESTABLISHED"), row("ESTABLISHED")),  # a server that reads and never answers
    (row("FIN_WAIT2"), row("CLOSE_WAIT")),  # we half-closed, it read our FIN and holds the connection
    (row("ESTABLISHED"), row("SYN_RECV")),  # in a full accept queue, never accepted
])
def test_open_ends_with_empty_queues(ours: SocketRow, server: SocketRow) -> None:
    assert nothing_on_the_way(Client(ours, server))  # type: ignore[arg-type]


@pytest.mark.parametrize(("ours", "server"), [
    (row("ESTABLISHED", rx=5), row("ESTABLISHED")),  # bytes we have not read
    (row("ESTABLISHED"), row("ESTABLISHED", tx=5)),  # bytes the server's kernel has still to send
    (row("ESTABLISHED"), None),  # the server closed with unread data: its RST is on its way
    (row("ESTABLISHED"), row("FIN_WAIT1")),  # the server closed: its FIN is on its way
    (row("ESTABLISHED"), row("LAST_ACK")),
    (row("CLOSE_WAIT"), row("FIN_WAIT2")),  # the FIN is here: the next recv returns it
    (None, row("ESTABLISHED")),  # our end is gone: the next recv raises
])
def test_a_closing_or_missing_end_has_something_on_its_way(ours: SocketRow | None, server: SocketRow | None) -> None:
    assert not nothing_on_the_way(Client(ours, server))  # type: ignore[arg-type]
