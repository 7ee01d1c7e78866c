"""Checks for threaded_echo: threaded_server.py on TCP port 9000, one thread per client.

Each check starts the program afresh in its own network namespace. The
concurrency checks rest on logical witnesses (harness.echo_probes): a client
that was provably served and then went quiet must not stop another client
from being echoed.
"""

import pytest

from harness import echo_probes as probes
from harness import observe
from harness.outcomes import CheckFailed


@pytest.mark.points(2)
@pytest.mark.budget(10)
def test_echo_short(lab):
    """A short message comes back unchanged."""
    lab.server()
    probes.echo_once(lab.connect("client"), b"hello, threads\n")


@pytest.mark.points(2)
@pytest.mark.budget(20)
def test_echo_large(lab):
    """1 MiB of random bytes is echoed byte-exact while the client reads concurrently."""
    lab.server()
    probes.echo_large(lab)


@pytest.mark.points(2)
@pytest.mark.budget(10)
def test_server_closes(lab):
    """After the client shuts down its write side, the server echoes what it owes and closes the connection."""
    lab.server()
    probes.echo_then_eof(lab)


@pytest.mark.points(3)
@pytest.mark.budget(15)
def test_idle_client_not_blocking(lab):
    """A client that was served and then stays connected without sending does not stop another client's echo."""
    program = lab.server()
    probes.idle_client_witness(lab, program.wait_main_pid())


@pytest.mark.points(3)
@pytest.mark.budget(25)
def test_twenty_clients(lab):
    """20 clients connected at once, with interleaved messages: each gets back exactly its own bytes."""
    lab.server()
    lab.hint = ("python3 threaded_server.py\n"
                "then, in several terminals at once: nc 127.0.0.1 9000   (each terminal gets only its own lines back)")
    probes.many_clients(lab, 20, rounds=3)


@pytest.mark.points(3)
@pytest.mark.budget(15)
def test_threads_end(lab):
    """Each connected client has its own thread, and the threads end when their clients leave."""
    program = lab.server()
    pid = program.wait_main_pid()
    if pid is None:
        raise CheckFailed("The server exited right after it started listening.")
    baseline = observe.thread_count(pid) or 1
    clients = probes.open_clients(lab, 5)
    peak = probes.census_rises(lambda: observe.thread_count(pid), baseline + 5)
    lab.note(f"threads: {baseline} before any client, {peak} with 5 clients connected and served")
    if peak is None or peak < baseline + 5:
        raise CheckFailed(
            f"With 5 clients connected the server had {peak} thread(s), {baseline} before any client: "
            "expected at least one more thread per connected client (threading.Thread per accept(), "
            "or socketserver.ThreadingTCPServer).")
    probes.close_all(clients)
    left = probes.census_falls(lambda: observe.thread_count(pid), baseline, timeout=3)
    lab.note(f"threads 3 s after the 5 clients closed: {left}")
    if left is None or left > baseline:
        raise CheckFailed(
            f"All 5 clients closed their connections, but 3 s later the server still had {left} threads "
            f"(it had {baseline} before any client connected). A client's thread must return when recv() "
            "returns b'' (the client closed), and close the connection.")
