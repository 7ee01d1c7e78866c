"""harness.leftovers on real sockets: each source of state on a lab's port is removed, or reported.

Every case runs in a child process inside a private network namespace of its
own, so port 9000 here is nobody else's on this shared machine, and the
namespace (with whatever a failing case leaves) dies with the child.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PRELUDE = """
import os, socket, subprocess, sys, time
from harness import leftovers, netns, procfs
from harness.outcomes import HarnessError
netns.enter_private_namespaces()
P = 9000

def time_wait_on_port(family=socket.AF_INET, host="127.0.0.1", listen_host="127.0.0.1"):
    '''The server end closes first, the client reads EOF and closes: TIME_WAIT on P.'''
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # to make one TIME_WAIT after another
    listener.bind((listen_host, P)); listener.listen()
    client = socket.create_connection((host, P)); server, _ = listener.accept(); listener.close()
    server.close(); assert client.recv(1) == b""; client.close()
    assert "TIME_WAIT" in procfs.states_on_port(P)

def bind_ok():
    probe = socket.socket()
    try:
        probe.bind(("0.0.0.0", P)); return True
    except OSError:
        return False
    finally:
        probe.close()
"""


def run_case(body: str) -> str:
    code = PRELUDE + textwrap.dedent(body)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


@pytest.fixture(autouse=True)
def _namespaces() -> None:
    if subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode != 0:
        pytest.skip("no network namespaces here")


def test_time_wait_of_a_server_that_closed_first_is_removed() -> None:
    run_case("""
        time_wait_on_port()
        assert not bind_ok(), "the TIME_WAIT blocks a bind without SO_REUSEADDR"
        started = time.monotonic()
        assert leftovers.clear(P) == []
        assert time.monotonic() - started < 1.0, "a loopback TIME_WAIT goes in milliseconds"
        assert bind_ok() and not procfs.states_on_port(P)
    """)


def test_time_wait_of_a_dual_stack_listener_is_removed() -> None:
    run_case("""
        time_wait_on_port(family=socket.AF_INET6, host="127.0.0.1", listen_host="::")  # ::ffff:127.0.0.1 in tcp6
        assert leftovers.clear(P) == [] and bind_ok()
        time_wait_on_port(family=socket.AF_INET6, host="::1", listen_host="::1")
        assert leftovers.clear(P) == []
    """)


def test_time_wait_whose_peer_port_our_own_time_wait_holds_is_removed() -> None:
    """The client's port is held by its own earlier TIME_WAIT (it closed first, to another address
    of the lab port): that one goes first. Once 3 s, then `error`, in 3 of 663 time_service runs."""
    run_case("""
        assert netns.set_sysctl("net.ipv4.ip_local_port_range", "45000 45000")  # one port: reused for certain
        listeners = {}
        for host in ("127.0.0.7", "127.0.0.1"):
            listeners[host] = socket.socket(); listeners[host].bind((host, P)); listeners[host].listen()
        client = socket.create_connection(("127.0.0.7", P)); server, _ = listeners["127.0.0.7"].accept()
        client.close(); assert server.recv(1) == b""; server.close()  # the client's TIME_WAIT holds port 45000
        client = socket.create_connection(("127.0.0.1", P)); server, _ = listeners["127.0.0.1"].accept()
        assert client.getsockname() == ("127.0.0.1", 45000)
        server.close(); assert client.recv(1) == b""; client.close()  # the server's TIME_WAIT, from port 45000
        for listener in listeners.values():
            listener.close()
        assert procfs.states_on_port(P) == {"TIME_WAIT"}
        started = time.monotonic()
        assert leftovers.clear(P) == []
        assert time.monotonic() - started < 1.0
        assert bind_ok() and not procfs.states_on_port(P)
    """)


def test_many_time_waits_and_a_harness_socket_left_open() -> None:
    run_case("""
        for _ in range(20):
            time_wait_on_port()
        listener = socket.socket(); listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", P)); listener.listen()
        kept = socket.create_connection(("127.0.0.1", P)); server, _ = listener.accept(); listener.close()
        server.close()  # the server closed; a probe's raw socket is still open (CLOSE_WAIT), its peer FIN_WAIT2
        from harness.waiting import poll
        assert poll(lambda: "FIN_WAIT2" in procfs.states_on_port(P), 2.0)
        assert leftovers.abort_harness_sockets(P, clients_only=True) == 1 and kept.fileno() < 0
        assert leftovers.clear(P) == [] and bind_ok()
    """)


def test_an_orphan_that_left_the_process_group_is_killed() -> None:
    run_case("""
        since = leftovers.now()
        orphan = subprocess.Popen([sys.executable, "-c",
            "import socket, time; s = socket.socket(); s.bind(('127.0.0.1', 9000)); s.listen(); time.sleep(60)"],
            start_new_session=True)
        while "LISTEN" not in procfs.states_on_port(P):
            time.sleep(0.01)  # poll
        assert [str(x).split()[0] for x in leftovers.clear(P, timeout=0.2)] == ["LISTEN"], "nothing is killed without `since`"
        assert leftovers.clear(P, since=since) == []
        assert orphan.wait(5) == -9
    """)


def test_a_port_held_by_someone_else_is_a_harness_error() -> None:
    out = run_case("""
        other = socket.socket(); other.bind(("127.0.0.1", P)); other.listen()  # a program not started by this check
        try:
            leftovers.ensure_clean(P, timeout=0.2)
        except HarnessError as exc:
            print(exc)
        else:
            raise SystemExit("ensure_clean passed a port that is in use")
    """)
    assert "port 9000 is not free before this check: LISTEN 127.0.0.1:9000" in out
    assert "not your program's doing" in out
