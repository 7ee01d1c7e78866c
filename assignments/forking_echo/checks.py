"""Checks for forking_echo: forking_server.py on TCP port 9000, one child process per client.

Each check starts the program afresh in its own network namespace. The
concurrency checks rest on logical witnesses (harness.echo_probes); the
process census (children, zombies, who holds a connection) comes from /proc.
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
    probes.echo_once(lab.connect("client"), b"hello, fork\n")


@pytest.mark.points(2)
@pytest.mark.budget(20)
def test_echo_large(lab):
    """1 MiB of random bytes is echoed byte-exact while the client reads concurrently."""
    lab.server()
    probes.echo_large(lab)


@pytest.mark.points(3)
@pytest.mark.budget(10)
def test_parent_closes(lab):
    """A client that shuts down its side gets the rest of its echo and then EOF: the parent closed its copy."""
    program = lab.server()
    pid = program.wait_main_pid()
    lab.hint = ("python3 forking_server.py\n"
                "printf 'hi\\n' | nc -N 127.0.0.1 9000   (nc must exit by itself after printing hi)")
    try:
        probes.echo_then_eof(lab)
    except CheckFailed as exc:
        client = lab.conversations[-1]
        if pid is not None and probes.holds_connection(pid, lab.port, client.local_port):
            raise CheckFailed(
                f"{exc}\nThe parent process still holds the connection: after fork() the parent must "
                "close its copy of the accepted socket (conn.close()), or the client never sees the end "
                "of the stream when the child closes.") from None
        raise


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
    probes.many_clients(lab, 20, rounds=3)


@pytest.mark.points(3)
@pytest.mark.budget(15)
def test_no_zombies(lab):
    """Each connected client has its own child process; after the clients leave no child remains, not even a zombie."""
    program = lab.server()
    pid = program.wait_main_pid()
    if pid is None:
        raise CheckFailed("The server exited right after it started listening.")
    clients = probes.open_clients(lab, 5)
    live = probes.census_rises(lambda: len(probes.live_children(pid)), 5)
    lab.note(f"child processes with 5 clients connected and served: {live}")
    if not live or live < 5:
        raise CheckFailed(
            f"With 5 clients connected and served, the server had {live or 0} running child process(es): "
            "expected one child per client (os.fork() after accept(), or socketserver.ForkingTCPServer).")
    probes.close_all(clients)
    left = probes.census_falls(lambda: len(observe.children(pid)), 0, timeout=3)
    if left:
        kids = observe.children(pid)
        dead = observe.zombies(kids)
        lab.note(f"3 s after the clients closed: {len(kids)} child process(es), {len(dead)} of them zombies")
        if dead:
            raise CheckFailed(
                f"All 5 clients closed their connections, but 3 s later {len(dead)} finished child process(es) "
                "were still zombies: the parent must collect its children with os.waitpid(-1, os.WNOHANG), "
                "for example in a SIGCHLD handler.")
        raise CheckFailed(
            f"All 5 clients closed their connections, but 3 s later {len(kids)} child process(es) were still "
            "running: a child must exit (os._exit(0)) when its client leaves, not go back to the accept() loop.")
