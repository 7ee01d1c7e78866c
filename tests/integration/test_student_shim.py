"""The fallback (no namespaces of its own) grades as everywhere, through what the student's
interpreter runs at start-up (harness.student_shim).

Without a mount namespace /etc/hosts cannot point pool.ntp.org at the fake SNTP
server, nor may port 123 be bound: the check serves on a free port and the
student's interpreter is told where. Without a network namespace the TCP buffer
sysctls that make partial sends certain cannot be set: the program's sockets get
buffers fixed at their caps instead. ntp_time and nonblocking_send must score
there as everywhere.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHIM = REPO / "harness" / "student_shim.py"


def _shimmed(code: str, value: str | None, var: str = "GRADER_RESOLVE") -> str:
    """What `code` prints after the shim ran with $var set to `value` (unset: None)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADER_")}
    if value is not None:
        env[var] = value
    return subprocess.run([sys.executable, "-c", f"import runpy; runpy.run_path({str(SHIM)!r}); import socket; {code}"],
                          env=env, check=True, capture_output=True, text=True, timeout=30).stdout.strip()


def test_shim_resolves_only_the_names_it_is_given() -> None:
    table = "pool.ntp.org=127.10.0.1:40123"
    asked = "print(socket.getaddrinfo('pool.ntp.org', 'ntp', socket.AF_INET, socket.SOCK_DGRAM)[0][4])"
    assert _shimmed(asked, table) == "('127.10.0.1', 40123)"
    assert _shimmed("print(socket.gethostbyname('POOL.ntp.org.'))", table) == "127.10.0.1"
    assert _shimmed("print(socket.gethostbyname_ex(b'pool.ntp.org'.decode())[2])", table) == "['127.10.0.1']"
    local = "print(socket.getaddrinfo('localhost', 7, socket.AF_INET, socket.SOCK_STREAM)[0][4])"
    assert _shimmed(local, table) == _shimmed(local, None) == str(socket.getaddrinfo(
        "localhost", 7, socket.AF_INET, socket.SOCK_STREAM)[0][4])


def test_shim_does_nothing_without_a_table() -> None:
    assert _shimmed("print(socket.getaddrinfo.__module__)", None) == "socket"


SIZES = ("import socket as s; t = s.socket(); u = s.socket(s.AF_INET, s.SOCK_DGRAM); "
         "print(t.getsockopt(s.SOL_SOCKET, s.SO_SNDBUF), t.getsockopt(s.SOL_SOCKET, s.SO_RCVBUF), "
         "u.getsockopt(s.SOL_SOCKET, s.SO_SNDBUF))")


def test_shim_fixes_the_buffers_of_tcp_sockets_only() -> None:
    default = _shimmed(SIZES, None).split()
    tcp_send, tcp_receive, udp_send = _shimmed(SIZES, "sndbuf=32768,rcvbuf=65536", "GRADER_TCP_BUFFERS").split()
    assert (tcp_send, tcp_receive) == ("32768", "65536")  # the kernel's sizes, as the sysctls' caps give
    assert udp_send == default[2]
    only_send = _shimmed(SIZES, "sndbuf=32768", "GRADER_TCP_BUFFERS").split()
    assert only_send == ["32768", default[1], default[2]]


def test_shim_leaves_accepted_sockets_their_listeners_sizes() -> None:
    code = ("import socket as s; l = s.socket(); l.setsockopt(s.SOL_SOCKET, s.SO_SNDBUF, 4096); "
            "l.bind(('127.0.0.1', 0)); l.listen(); c = s.create_connection(l.getsockname()); a, _ = l.accept(); "
            "print(a.getsockopt(s.SOL_SOCKET, s.SO_SNDBUF), c.getsockopt(s.SOL_SOCKET, s.SO_SNDBUF))")
    assert _shimmed(code, "sndbuf=32768", "GRADER_TCP_BUFFERS").split() == ["8192", "32768"]


LOOPBACKS = "print([answer[4][0] for answer in socket.getaddrinfo(None, 7, type=socket.SOCK_STREAM)])"


def test_shim_leaves_out_an_unusable_ipv6_loopback() -> None:
    """Not asked for a name, getaddrinfo answers both loopbacks: ::1 goes where it cannot be used."""
    assert _shimmed(LOOPBACKS, None) == "['::1', '127.0.0.1']"
    assert _shimmed(LOOPBACKS, "1", "GRADER_NO_IPV6_LOOPBACK") == "['127.0.0.1']"
    alone = "print(socket.getaddrinfo('::1', 7, type=socket.SOCK_STREAM)[0][4][0])"
    assert _shimmed(alone, "1", "GRADER_NO_IPV6_LOOPBACK") == "::1"  # asked for by name: kept


def _fallback_score(program: Path, lab: str = "ntp_time", *network: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO), "GRADER_ISOLATE": "no"}
    # Its own network namespace: the fallback binds on the loopback it is on (tests/own_network.py).
    done = subprocess.run([sys.executable, str(REPO / "tests" / "own_network.py"), *network, "grader", "check", lab,
                           str(program)], env=env, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    found = re.search(r"Score: (\d+ / \d+)", done.stdout)
    assert found, done.stdout + done.stderr
    return found.group(1)


@pytest.mark.timeout(180)
def test_ntp_time_scores_in_the_fallback_as_everywhere() -> None:
    assert _fallback_score(REPO / "reference" / "ntp_time") == "7 / 7"
    assert _fallback_score(REPO / "assignments" / "ntp_time" / "variants" / "prints_local_time") == "3 / 7"


@pytest.mark.timeout(240)
def test_nonblocking_send_scores_in_the_fallback_as_everywhere() -> None:
    """A client that ignores send()'s count loses its bytes there too (once it kept them: 11 of 11)."""
    lab = REPO / "assignments" / "nonblocking_send"
    assert _fallback_score(lab / "variants" / "ignores_send_count", "nonblocking_send") == "7 / 11"
    assert _fallback_score(lab / "variants" / "good_py38_errno", "nonblocking_send") == "11 / 11"


@pytest.mark.timeout(180)
def test_a_client_meets_a_refusal_where_ipv6_is_off_as_everywhere() -> None:
    """Docker's default container (Gradescope's) has IPv6 off and ::1 localhost in /etc/hosts:
    create_connection("localhost") raised EADDRNOTAVAIL from ::1 instead of the refusal, and a
    correct client that catches ConnectionRefusedError lost `refused` (13 of 15)."""
    good = REPO / "assignments" / "tcp_echo_client" / "variants" / "good_makefile"
    assert _fallback_score(good, "tcp_echo_client", "--ipv6-off") == "15 / 15"


def test_the_students_interpreter_runs_the_shim(tmp_path: Path) -> None:
    """Through a .pth line: a sitecustomize.py would be hidden by the one Debian's Python ships."""
    from harness.launch import student_python

    env = {"PATH": "/usr/bin:/bin", "GRADER_TCP_BUFFERS": "sndbuf=32768"}
    done = subprocess.run([student_python(), "-c", SIZES], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=30, check=True)
    assert done.stdout.split()[0] == "32768"
