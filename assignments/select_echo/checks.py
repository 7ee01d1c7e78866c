"""Checks for select_echo: select_server.py on TCP port 10000.

The same echo protocol as tcp_echo, for many clients at once, in one thread
of one process with select() (or selectors/poll) and non-blocking sockets.
Each check starts the program afresh in its own network namespace. The moves
(idle client, 50 interleaved clients, slow reader, census, descriptor count,
source reading) live in harness.probes; each check below is its script.
"""

import pytest

from harness import probes

SELECT_ADVICE = ("A select() server waits in select() for all its sockets at once, and only calls recv() or send() "
                 "on a socket that select() reported ready, with every socket in non-blocking mode.")


@pytest.fixture(autouse=True)
def small_buffers(lab):
    """Every check meets the small TCP buffers of assignment.yml's sysctls (so a partial send() is certain),
    in the sandboxes that have no network namespace of their own too."""
    probes.small_kernel_buffers(lab)


# ---- the echo protocol (as in tcp_echo) ---------------------------------------------


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


@pytest.mark.points(2)
@pytest.mark.budget(20)
def test_echo_large(lab):
    """1 MiB of random bytes is echoed byte-exact while the client reads concurrently."""
    probes.echo_large(lab)


@pytest.mark.points(1)
@pytest.mark.budget(20)
def test_echo_bytewise(lab):
    """A message sent one byte at a time (each byte read by the server before the next) comes back whole."""
    probes.echo_bytewise(lab)


@pytest.mark.points(1)
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
@pytest.mark.budget(30)
def test_shutdown_flush(lab):
    """After the client shuts down its write side, the server sends back everything it still owes, then closes (the client sends 1 MiB and its FIN before it reads)."""
    probes.shutdown_flush_backlogged(lab)


# ---- many clients in one thread ------------------------------------------------------


@pytest.mark.points(4)
@pytest.mark.budget(15)
def test_idle_client(lab):
    """A client that connected first and went quiet mid-line does not delay a second client's echo."""
    lab.hint = ("python3 select_server.py           # terminal 1\n"
                "nc 127.0.0.1 10000                 # terminal 2: type a line, then leave it idle\n"
                "nc 127.0.0.1 10000                 # terminal 3: a line typed here must come back at once")
    probes.idle_client(lab, advice=SELECT_ADVICE)


@pytest.mark.points(4)
@pytest.mark.budget(30)
def test_many_clients(lab):
    """50 clients connected at once, interleaved messages: each gets exactly its own bytes, in order."""
    probes.many_clients(lab, clients=50, rounds=4, advice=SELECT_ADVICE)


@pytest.mark.points(4)
@pytest.mark.budget(40)
def test_slow_reader(lab):
    """A client that sends 8 MiB without reading (small receive buffer), then shuts down its side, does not stall the others and reads back every byte before EOF."""
    lab.hint = ("python3 select_server.py    # terminal 1\n"
                "# terminal 2: write a small client that sets SO_RCVBUF to 4096 before connect(), sends 8 MB from a\n"
                "# thread without reading, calls shutdown(SHUT_WR), waits for Enter, then reads until recv() returns b''\n"
                "# and compares the sha256 of what came back with what it sent\n"
                "nc 127.0.0.1 10000          # terminal 3, before you press Enter: lines typed here must come back")
    probes.slow_reader(lab, size=8 << 20, rcvbuf=4096, advice=SELECT_ADVICE)


@pytest.mark.points(3)
@pytest.mark.budget(20)
def test_single_thread(lab):
    """While 20 clients are connected, the server has exactly one thread and no child process."""
    lab.hint = ("python3 select_server.py &         # then connect a few clients with nc, and:\n"
                "ls /proc/$(pgrep -f select_server.py)/task     # one entry: one thread\n"
                "cat /proc/$(pgrep -f select_server.py)/syscall # 270 = pselect6 (select), 7 = poll, 232 = epoll_wait")
    probes.single_thread_census(lab, clients=20)


@pytest.mark.points(3)
@pytest.mark.budget(30)
def test_descriptors_return(lab):
    """After 200 connections open and close, the server's open descriptors return to their starting count."""
    lab.hint = ("python3 select_server.py &\n"
                "ls /proc/$(pgrep -f select_server.py)/fd | wc -l   # before\n"
                "for i in $(seq 50); do echo hi | nc -q1 127.0.0.1 10000; done\n"
                "ls /proc/$(pgrep -f select_server.py)/fd | wc -l   # after: the same number")
    probes.descriptors_return(lab, connections=200, batch=10)


# ---- reading the source --------------------------------------------------------------


@pytest.mark.points(2)
@pytest.mark.budget(10)
def test_send_count_used(lab):
    """Every send() call's return value (the number of bytes actually sent) is used: the source is read with Python's ast module."""
    lab.hint = "python3 -c \"import ast; print(ast.dump(ast.parse(open('select_server.py').read()), indent=1))\" | less"
    probes.send_count_used(lab)
