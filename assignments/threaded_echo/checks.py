"""Checks for threaded_echo: threaded_server.py on TCP port 9000, one thread per client.

Each check starts the program afresh in its own network namespace. The moves
live in harness.probes (shared with the other echo labs); the concurrency
checks rest on logical witnesses: a client that was provably served and then
went quiet must not stop another client from being echoed.
"""

import pytest

from harness import probes

THREAD_ADVICE = ("The server seems to serve one client at a time: each client needs its own thread "
                 "(threading.Thread(...).start() after accept(), without join(), or socketserver.ThreadingTCPServer).")


@pytest.mark.points(2)
@pytest.mark.budget(10)
def test_echo_short(lab):
    """A short message comes back unchanged."""
    probes.echo_short(lab, b"hello, threads\n")


@pytest.mark.points(2)
@pytest.mark.budget(20)
def test_echo_large(lab):
    """1 MiB of random bytes is echoed byte-exact while the client reads concurrently."""
    probes.echo_large(lab)


@pytest.mark.points(2)
@pytest.mark.budget(10)
def test_server_closes(lab):
    """After the client shuts down its write side, the server echoes what it owes and closes the connection."""
    probes.server_closes(lab)


@pytest.mark.points(3)
@pytest.mark.budget(15)
def test_idle_client_not_blocking(lab):
    """A client that was served and then stays connected without sending does not stop another client's echo."""
    probes.idle_client(lab, advice=THREAD_ADVICE)


@pytest.mark.points(3)
@pytest.mark.budget(25)
def test_twenty_clients(lab):
    """20 clients connected at once, with interleaved messages: each gets back exactly its own bytes."""
    lab.hint = ("python3 threaded_server.py\n"
                "then, in several terminals at once: nc 127.0.0.1 9000   (each terminal gets only its own lines back)")
    probes.many_clients(lab, clients=20, rounds=3, advice=THREAD_ADVICE)


@pytest.mark.points(3)
@pytest.mark.budget(15)
def test_threads_end(lab):
    """Each connected client has its own thread, and the threads end when their clients leave."""
    probes.threads_end(lab, clients=5)
