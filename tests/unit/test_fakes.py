"""harness.fakes: a client's FIN is a half-close; only a closed socket means the client is gone."""

from __future__ import annotations

import pytest

from harness.fakes import peer_has_closed, split_in
from harness.procfs import SocketRow


def row(state: str, inode: int = 4242) -> SocketRow:
    return SocketRow(proto="tcp", local_port=50000, remote_port=70, state=state,
                     tx_queue=0, rx_queue=0, inode=inode)


@pytest.mark.parametrize("state", ["ESTABLISHED", "FIN_WAIT1", "FIN_WAIT2"])
def test_a_socket_its_program_still_owns_is_not_closed(state: str) -> None:
    # FIN_WAIT1/FIN_WAIT2 with an owner: shutdown(SHUT_WR), the client still reads
    assert not peer_has_closed(row(state))


@pytest.mark.parametrize("state", ["FIN_WAIT1", "FIN_WAIT2"])
def test_an_orphaned_socket_is_closed(state: str) -> None:
    # after close() (or exit) the kernel orphans the socket: inode 0
    assert peer_has_closed(row(state, inode=0))


@pytest.mark.parametrize("state", ["CLOSE", "CLOSING", "LAST_ACK", "TIME_WAIT"])
def test_states_that_cannot_read_are_closed(state: str) -> None:
    assert peer_has_closed(row(state))


def test_no_row_is_closed() -> None:
    assert peer_has_closed(None)


def test_split_in_keeps_every_byte() -> None:
    assert split_in(b"abcdefg", 3) == [b"abc", b"de", b"fg"]
    assert split_in(b"ab", 5) == [b"a", b"b"]


def test_the_fake_udp_server_records_a_request_before_its_reply_leaves() -> None:
    # A client may print the reply and exit, and the check read received(), before the fake's
    # thread runs again: a known-good client once "sent no datagram" (1 of 4,420 runs, cores busy).
    import socket

    from harness.transcript import Transcript
    from harness.udp import FakeUdpServer

    seen_when_answering: list[int] = []

    def answer(data: bytes) -> bytes:
        seen_when_answering.append(len(server.received()))
        return data.upper()

    server = FakeUdpServer(0, Transcript(), answer=answer).start()
    port = server.listener.getsockname()[1]
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        client.settimeout(5)
        client.sendto(b"hello", ("127.0.0.1", port))
        assert client.recv(100) == b"HELLO"
        assert seen_when_answering == [1]
    finally:
        client.close()
        server.stop()
