"""The fallback (no namespaces of its own) still plays a lab's handout host names (harness.resolve_shim).

Without a mount namespace /etc/hosts cannot point pool.ntp.org at the fake SNTP
server, nor may port 123 be bound: the check serves on a free port and the
student's interpreter is told where. ntp_time must score there as everywhere.
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
SHIM = REPO / "harness" / "resolve_shim.py"


def _resolve(code: str, table: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "GRADER_RESOLVE"}
    if table is not None:
        env["GRADER_RESOLVE"] = table
    return subprocess.run([sys.executable, "-c", f"import runpy; runpy.run_path({str(SHIM)!r}); import socket; {code}"],
                          env=env, check=True, capture_output=True, text=True, timeout=30).stdout.strip()


def test_shim_resolves_only_the_names_it_is_given() -> None:
    table = "pool.ntp.org=127.10.0.1:40123"
    asked = "print(socket.getaddrinfo('pool.ntp.org', 'ntp', socket.AF_INET, socket.SOCK_DGRAM)[0][4])"
    assert _resolve(asked, table) == "('127.10.0.1', 40123)"
    assert _resolve("print(socket.gethostbyname('POOL.ntp.org.'))", table) == "127.10.0.1"
    assert _resolve("print(socket.gethostbyname_ex(b'pool.ntp.org'.decode())[2])", table) == "['127.10.0.1']"
    local = "print(socket.getaddrinfo('localhost', 7, socket.AF_INET, socket.SOCK_STREAM)[0][4])"
    assert _resolve(local, table) == _resolve(local, None) == str(socket.getaddrinfo(
        "localhost", 7, socket.AF_INET, socket.SOCK_STREAM)[0][4])


def test_shim_does_nothing_without_a_table() -> None:
    assert _resolve("print(socket.getaddrinfo.__module__)", None) == "socket"


def _fallback_score(program: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO), "GRADER_ISOLATE": "no"}
    # Its own network namespace: the fallback binds on the loopback it is on (tests/own_network.py).
    done = subprocess.run([sys.executable, str(REPO / "tests" / "own_network.py"), "grader", "check", "ntp_time",
                           str(program)], env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    found = re.search(r"Score: (\d+ / \d+)", done.stdout)
    assert found, done.stdout + done.stderr
    return found.group(1)


@pytest.mark.timeout(180)
def test_ntp_time_scores_in_the_fallback_as_everywhere() -> None:
    assert _fallback_score(REPO / "reference" / "ntp_time") == "7 / 7"
    assert _fallback_score(REPO / "assignments" / "ntp_time" / "variants" / "prints_local_time") == "3 / 7"
