"""The attack suite: hostile tcp_echo submissions against the real Docker sandbox.

Each program in attacks/<name>/echo_server.py refuses to run unless it is uid
10001 inside a container. For every attack, graded at the same time as the
reference (two sandboxes in parallel):

  * the run ends well within its wall-clock deadline,
  * the attack gets a real result (no `error`: the grader did not break),
    and not full marks where it does not echo correctly,
  * the reference gets exactly the result it gets alone,
  * no sandbox container of this test process is left afterwards.

The one test that looks outward (reaches_host) only ever addresses this
machine: listeners the test itself opens on the host's loopback and on the
host's own address on the Docker bridge.
"""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from docker_helpers import explain, our_containers, timed_run

from grader import docker_engine
from grader.labs import Lab
from grader.results import Report

pytestmark = [pytest.mark.docker, pytest.mark.timeout(900)]

ATTACKS = Path(__file__).resolve().parent / "attacks"
DEADLINE = 150.0  # seconds per sandbox; the attacks must all end well before
MARGIN = 30.0  # container start, engine latency on a loaded machine

# "fails": must lose points; "any": must only get a proper result (it may echo correctly)
EXPECT = {
    "fork_bomb": "fails",
    "memory_eater": "fails",
    "cpu_spinner": "fails",
    "prints_gigabytes": "fails",
    "fills_disk": "any",
    "sleeps_forever": "fails",
    "ignores_signals": "fails",
    "daemonizes": "fails",
    "kills_everything": "any",
    "opens_descriptors": "any",
    "reaches_host": "any",
    "reads_secrets": "all",  # full marks: it exits at once if it can read any secret
    "forges_results": "zero",
    "persists_code": "any",  # what it leaves behind is looked for in tests/docker/test_local_attacks.py
}


def test_every_attack_has_an_expectation() -> None:
    assert sorted(p.name for p in ATTACKS.iterdir() if (p / "echo_server.py").is_file()) == sorted(EXPECT)


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_attack_programs_refuse_to_run_outside_the_sandbox(name: str) -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, str(ATTACKS / name / "echo_server.py")], capture_output=True,
                          check=False, timeout=30, cwd=ATTACKS / name)
    assert done.returncode == 1 and b"refusing to run" in done.stderr, done


@pytest.fixture(scope="module")
def baseline(docker_backend: object, tcp_echo: Lab) -> Report:
    report, _ = timed_run(docker_backend, tcp_echo, tcp_echo.reference, deadline=DEADLINE)
    assert report.all_passed, explain(report)
    return report


class HostListeners:
    """TCP and UDP listeners on this host's own addresses; they record anything that arrives."""

    def __init__(self, addresses: list[str]) -> None:
        self.received: list[str] = []
        self.sockets: list[socket.socket] = []
        first = socket.socket()
        first.bind((addresses[0], 0))
        self.port = first.getsockname()[1]
        self.sockets.append(first)
        for address in addresses[1:]:
            s = socket.socket()
            s.bind((address, self.port))
            self.sockets.append(s)
        for address in addresses:
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.bind((address, self.port))
            self.sockets.append(u)
        self.stop = threading.Event()
        for s in self.sockets:
            if s.type == socket.SOCK_STREAM:
                s.listen()
            s.settimeout(0.2)
            threading.Thread(target=self._serve, args=(s,), daemon=True).start()

    def _serve(self, s: socket.socket) -> None:
        while not self.stop.is_set():
            try:
                if s.type == socket.SOCK_STREAM:
                    conn, peer = s.accept()
                    conn.close()
                    self.received.append(f"tcp connection from {peer} on {s.getsockname()}")
                else:
                    data, peer = s.recvfrom(4096)
                    self.received.append(f"udp {data!r} from {peer} on {s.getsockname()}")
            except OSError:
                continue

    def close(self) -> None:
        self.stop.set()
        for s in self.sockets:
            s.close()


@pytest.fixture
def host_listeners() -> Iterator[tuple[HostListeners, str]]:
    gateway = docker_engine.bridge_gateway()
    addresses = ["127.0.0.1"] + ([gateway] if gateway else [])
    listeners = HostListeners(addresses)
    try:
        yield listeners, gateway or "127.0.0.1"
    finally:
        listeners.close()


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_attack_is_contained(name: str, docker_backend: object, tcp_echo: Lab, baseline: Report,
                             tmp_path: Path, host_listeners: tuple[HostListeners, str]) -> None:
    submission = tmp_path / name
    shutil.copytree(ATTACKS / name, submission, ignore=shutil.ignore_patterns("__pycache__"))
    listeners, gateway = host_listeners
    (submission / "target.txt").write_text(f"{listeners.port} {gateway}\n")

    with ThreadPoolExecutor(max_workers=2) as pool:
        attack = pool.submit(timed_run, docker_backend, tcp_echo, submission, deadline=DEADLINE)
        reference = pool.submit(timed_run, docker_backend, tcp_echo, tcp_echo.reference, deadline=DEADLINE)
        (report, elapsed), (ref_report, _) = attack.result(), reference.result()

    assert elapsed < DEADLINE + MARGIN, f"{name}: the run took {elapsed:.0f} s"
    assert not report.has_error, f"{name}: the grader broke instead of grading:\n{explain(report)}"
    assert report.max_score == baseline.max_score
    expect = EXPECT[name]
    if expect == "fails":
        assert report.score < report.max_score, f"{name} got full marks"
    elif expect == "zero":
        assert report.score == 0, f"{name}: a forged result counted: {report.score}/{report.max_score}"
        assert [t.name for t in report.tests] == [t.name for t in baseline.tests]
    elif expect == "all":
        assert report.all_passed, f"{name}: the sandbox let it read a secret:\n{explain(report)}"
    assert ref_report.outcomes() == baseline.outcomes(), (
        f"the reference graded next to {name} got a different result:\n{explain(ref_report)}")
    assert ref_report.score == baseline.score
    assert listeners.received == [], f"{name} reached the host: {listeners.received}"
    assert our_containers() == [], f"{name}: containers left behind"
