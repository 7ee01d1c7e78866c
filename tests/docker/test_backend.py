"""The Docker backend: results, engine trouble, deadlines, clean-up, and what runs inside.

Everything here runs against the real engine (marked `docker`) except the
tests of a missing engine, which need none.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from docker_helpers import explain, our_containers, timed_run

from grader import docker_engine
from grader.labs import Lab, load_lab

REPO_ROOT = Path(__file__).resolve().parents[2]
ATTACKS = Path(__file__).resolve().parent / "attacks"
BOGUS_ENGINE = "unix:///nonexistent/docker.sock"

docker = pytest.mark.docker


# ---------------------------------------------------------------------- no engine

@pytest.fixture
def no_engine(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    docker_engine.reset_client()
    monkeypatch.setenv("DOCKER_HOST", BOGUS_ENGINE)
    yield
    docker_engine.reset_client()


def test_backend_without_an_engine_raises_a_one_line_fix(no_engine: None) -> None:
    from grader.backends.docker import DockerBackend

    with pytest.raises(docker_engine.DockerUnavailable) as caught:
        DockerBackend()
    message = str(caught.value)
    assert "\n" not in message and "Docker" in message and "--backend local" in message


def test_cli_without_an_engine_says_how_to_fix_it(tmp_path: Path) -> None:
    # Its own TMPDIR: the CLI sweeps scratch folders that other tests' killed graders left, and says so on stderr.
    env = {**os.environ, "DOCKER_HOST": BOGUS_ENGINE, "TMPDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "grader", "check", "tcp_echo", str(REPO_ROOT / "reference/tcp_echo"),
                           "--backend", "docker"], check=False, capture_output=True, text=True, env=env, cwd=REPO_ROOT,
                          timeout=120)
    assert done.returncode == 3, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: Docker"), done.stderr


# ---------------------------------------------------------------------- results

@docker
def test_reference_gets_full_marks_in_docker(docker_backend: object, tcp_echo: Lab) -> None:
    report, _ = timed_run(docker_backend, tcp_echo, tcp_echo.reference)
    assert report.all_passed and report.score == report.max_score > 0, explain(report)
    assert report.sandbox.get("backend") == "docker" and report.sandbox.get("containment") == "uid"
    assert our_containers() == []


@docker
def test_only_and_hidden_reach_the_runner(docker_backend: object, tcp_echo: Lab) -> None:
    report, _ = timed_run(docker_backend, tcp_echo, tcp_echo.reference, only=("echo_short",))
    assert [t.name for t in report.tests] == ["compiles", "echo_short"], explain(report)


@docker
def test_missing_image_is_an_error_report_not_a_zero(tcp_echo: Lab) -> None:
    from grader.backends.docker import DockerBackend

    backend = DockerBackend(image_tag="socklab-grader:000000000000", sweep=False)
    report, _ = timed_run(backend, tcp_echo, tcp_echo.reference)
    assert report.has_error and report.max_score == 0
    assert "image socklab-grader:000000000000 is missing" in report.tests[0].output
    assert our_containers() == []


@docker
def test_hard_deadline_kills_the_sandbox(docker_backend: object, tcp_echo: Lab) -> None:
    report, elapsed = timed_run(docker_backend, tcp_echo, ATTACKS / "sleeps_forever", deadline=6)
    assert report.has_error, explain(report)
    assert "did not finish within 6 s" in report.tests[0].output
    assert elapsed < 6 + 30
    assert our_containers() == []


# ---------------------------------------------------------------------- inside the sandbox

PROBE_CHECKS = '''
import os
import socket
import time

import pytest

from harness import observe


@pytest.mark.points(1)
def test_hosts(lab):
    assert socket.gethostbyname("pool.ntp.org") == "127.10.0.1"
    assert socket.gethostbyname("localhost") == "127.0.0.1"


@pytest.mark.points(1)
def test_sysctl_preset(lab):
    assert lab.set_sysctl("net.ipv4.tcp_wmem", "4096 16384 65536")


@pytest.mark.points(1)
def test_loopback_only(lab):
    assert sorted(os.listdir("/sys/class/net")) == ["lo"]
    with socket.socket(socket.AF_INET6) as s:
        s.bind(("::1", 0))


@pytest.mark.points(1)
def test_observers(lab):
    program = lab.start()
    pid = program.wait_main_pid()
    assert pid, "no main pid"
    deadline = time.monotonic() + 10
    while observe.thread_count(pid) != 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert observe.thread_count(pid) == 3
    assert os.stat(f"/proc/{pid}").st_uid >= 1_000_000
    socks = observe.socket_fds(pid)
    assert len(socks) == 1, socks
    fd = next(iter(socks))
    assert observe.fd_flags(pid, fd) & os.O_NONBLOCK
    assert observe.blocked_in(pid) is not None
    assert observe.cpu_seconds([pid]) >= 0
'''

PROBE_PROGRAM = '''
import socket, threading, time
s = socket.socket()
s.setblocking(False)
s.bind(("127.0.0.1", 0))
s.listen()
for _ in range(2):
    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
time.sleep(60)
'''


@docker
def test_hosts_sysctls_loopback_and_observers_work_inside(docker_backend: object, tmp_path: Path) -> None:
    lab_dir = tmp_path / "assignments" / "sandbox_probe"
    lab_dir.mkdir(parents=True)
    (lab_dir / "assignment.yml").write_text(textwrap.dedent('''
        name: sandbox_probe
        title: what the sandbox offers the checks
        kind: client
        file: prog.py
        hosts:
          pool.ntp.org: 127.10.0.1
        sysctls:
          net.ipv4.tcp_wmem: "4096 16384 65536"
    '''))
    (lab_dir / "checks.py").write_text(PROBE_CHECKS)
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "prog.py").write_text(PROBE_PROGRAM)
    lab = load_lab(lab_dir, tmp_path)
    report, _ = timed_run(docker_backend, lab, submission)
    assert report.all_passed and len(report.tests) == 5, explain(report)


# ---------------------------------------------------------------------- clean-up

@docker
def test_sweep_removes_only_leftovers(docker_backend: object) -> None:
    from grader.backends.docker import LABEL, owner_id, run_labels, sweep_stale

    dead_owner = f"{socket.gethostname()}:{os.getpid() + 10**7}:1"  # above any pid_max: no such process
    made = {}
    for case in ("dead_owner", "past_deadline", "alive"):
        labels = run_labels("tcp_echo", 600)
        if case == "dead_owner":
            labels[f"{LABEL}.owner"] = dead_owner
        if case == "past_deadline":
            labels[f"{LABEL}.deadline"] = str(int(time.time()) - 1)
        made[case] = docker_engine.create_container(docker_backend.image, ["true"],  # type: ignore[attr-defined]
                                                     labels=labels, network_mode="none")
    try:
        removed = sweep_stale()
        assert made["dead_owner"][:12] in removed and made["past_deadline"][:12] in removed
        assert made["alive"][:12] not in removed
        assert [c.id for c in our_containers()] == [made["alive"]]
        assert owner_id() != dead_owner
    finally:
        for cid in made.values():
            docker_engine.remove_container(cid)


@docker
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_grader_leaves_nothing_behind(signum: int, docker_backend: object, tmp_path: Path) -> None:
    from grader.backends.docker import LABEL

    log = tmp_path / "stderr"
    with open(log, "wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "grader", "selftest", "tcp_echo", "--backend", "docker",
                                 "--jobs", "2"], cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=err)
    prefix = f"{socket.gethostname()}:{proc.pid}:"

    def mine() -> list[str]:
        return [c.id for c in docker_engine.list_containers(LABEL)
                if c.labels.get(f"{LABEL}.owner", "").startswith(prefix)]

    try:
        deadline = time.monotonic() + 120
        while len(mine()) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
        assert mine(), "the grader never started a sandbox"
        time.sleep(1.0)  # let the runners get going
        started = time.monotonic()
        proc.send_signal(signum)
        proc.wait(timeout=60)
        stopped_in = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, log.read_text()
    assert mine() == [], "containers left behind"
    assert stopped_in < 30
