"""A batch in Docker: the next container is made ahead, holds nothing of anyone else, and none is left behind.

Runs against the real engine (marked `docker`).
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from docker_helpers import engine_or_skip, explain, our_containers, timed_run

from grader import docker_engine
from grader.backends import batch_session
from grader.labs import Lab, load_lab

REPO_ROOT = Path(__file__).resolve().parents[2]

docker = pytest.mark.docker

# Each submission names itself in its first line and ships one file of that name: the check fails,
# showing what it saw, unless /submission holds exactly this submission's files.
VIEW_CHECKS = '''
import os

import pytest


@pytest.mark.points(1)
def test_sees_only_its_own_submission(lab):
    name = lab.source_path().read_text().splitlines()[0].strip("# ")
    seen = sorted(os.listdir(lab.submission))  # the copy the program runs in
    assert seen == sorted(["prog.py", name + ".txt"]), seen
    assert (lab.submission / f"{name}.txt").read_text() == name
'''


def view_lab(tmp_path: Path) -> Lab:
    lab_dir = tmp_path / "assignments" / "sandbox_view"
    lab_dir.mkdir(parents=True)
    (lab_dir / "assignment.yml").write_text(textwrap.dedent('''
        name: sandbox_view
        title: what a sandbox shows of the submissions
        kind: client
        file: prog.py
    '''))
    (lab_dir / "checks.py").write_text(VIEW_CHECKS)
    return load_lab(lab_dir, tmp_path)


def submission(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / "class" / name
    folder.mkdir(parents=True)
    (folder / "prog.py").write_text(f"# {name}\n")
    (folder / f"{name}.txt").write_text(name)
    return folder


def wait_for_spare(backend: object, timeout: float = 60) -> None:
    spares = backend._spares  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout
    while spares.waiting() == 0:
        assert time.monotonic() < deadline, "no spare was made ahead"
        time.sleep(0.02)


def sandbox_scratch() -> list[Path]:
    """This process's Docker scratch folders: the other pytest workers make their own meanwhile."""
    import tempfile

    return sorted(p for p in Path(tempfile.gettempdir()).glob("grader-sandbox-*") if _owner(p) == os.getpid())


def _owner(folder: Path) -> int | None:
    try:
        return int((folder / ".owner").read_text())
    except (OSError, ValueError):
        return None


@docker
def test_each_run_of_a_batch_sees_only_its_own_submission(docker_backend: object, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from grader.backends import docker_batch

    lab = view_lab(tmp_path)
    before = sandbox_scratch()
    staged: list[str] = []
    stage = docker_batch.stage
    monkeypatch.setattr(docker_batch, "stage", lambda src, dst: (staged.append(src.name), stage(src, dst)))
    with batch_session(docker_backend):  # type: ignore[arg-type]
        for name in ("alice", "bob", "carol"):
            folder = submission(tmp_path, name)
            report, _ = timed_run(docker_backend, lab, folder)
            assert report.all_passed, explain(report)
            wait_for_spare(docker_backend)  # the next run takes a container made ahead, not its own
            assert [c.state for c in our_containers()].count("running") == 1  # the spare, waiting
    assert staged == ["bob", "carol"]  # the first run made its own container; the others took spares
    assert our_containers() == []
    assert sandbox_scratch() == before


@docker
def test_a_batch_that_raises_leaves_no_container(docker_backend: object, tcp_echo: Lab) -> None:
    before = sandbox_scratch()
    with pytest.raises(RuntimeError, match="boom"), batch_session(docker_backend):  # type: ignore[arg-type]
        report, _ = timed_run(docker_backend, tcp_echo, tcp_echo.reference)
        assert report.all_passed, explain(report)
        wait_for_spare(docker_backend)
        assert "running" in [c.state for c in our_containers()]
        raise RuntimeError("boom")
    assert our_containers() == []
    assert sandbox_scratch() == before


@docker
def test_a_spare_from_before_an_interruption_is_not_used(docker_backend: object, tcp_echo: Lab) -> None:
    from grader.backends import docker as backend

    with batch_session(docker_backend):  # type: ignore[arg-type]
        timed_run(docker_backend, tcp_echo, tcp_echo.reference, only=("echo_short",))
        wait_for_spare(docker_backend)
        backend._kill_all(backend._LIVE.cancel())  # what SIGINT does, without the KeyboardInterrupt
        assert our_containers() == []
        report, _ = timed_run(docker_backend, tcp_echo, tcp_echo.reference, only=("echo_short",))
        assert report.all_passed, explain(report)  # a run after the interruption makes its own
    assert our_containers() == []


@docker
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_batch_leaves_no_container(signum: int, tmp_path: Path) -> None:
    engine_or_skip()
    from grader.backends.docker import LABEL

    for n in range(6):
        shutil.copytree(REPO_ROOT / "reference" / "tcp_echo", tmp_path / "class" / f"student{n}")
    log = tmp_path / "stderr"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    with open(log, "wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "grader", "grade", "tcp_echo", str(tmp_path / "class"),
                                 "--out", str(tmp_path / "out"), "--backend", "docker", "--jobs", "1"],
                                cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=err, env=env)
    prefix = f"{socket.gethostname()}:{proc.pid}:"

    def mine() -> list[docker_engine.ContainerInfo]:
        return [c for c in docker_engine.list_containers(LABEL)
                if c.labels.get(f"{LABEL}.owner", "").startswith(prefix)]

    try:
        deadline = time.monotonic() + 120
        while [c.state for c in mine()].count("running") < 2:  # one grading, one made ahead and waiting
            assert time.monotonic() < deadline and proc.poll() is None, log.read_text()
            time.sleep(0.02)
        proc.send_signal(signum)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, log.read_text()
    assert mine() == [], "containers left behind"
    assert not [p for p in sandbox_scratch() if (p / ".owner").exists() and str(proc.pid) in (p / ".owner").read_text()]


@docker
def test_a_batch_in_docker_grades_as_before_and_leaves_nothing(tmp_path: Path) -> None:
    engine_or_skip()
    from bench.classes import write_class
    from grader.backends.docker import LABEL

    kinds = ["reference", "syntax_error", "reference", "decodes_text", "reference"]
    students = write_class(tmp_path / "class", kinds)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "grader", "grade", "tcp_echo", str(tmp_path / "class"),
                             "--out", str(tmp_path / "out"), "--backend", "docker", "--jobs", "2"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    with open(tmp_path / "out" / "grades.csv", newline="") as f:
        scores = {row["student"]: row["score"] for row in csv.DictReader(f)}
    assert {s for s, score in scores.items() if score == "20"} == {s for s, k in students.items() if k == "reference"}
    prefix = f"{socket.gethostname()}:{proc.pid}:"
    assert [c for c in docker_engine.list_containers(LABEL) if c.labels.get(f"{LABEL}.owner", "").startswith(prefix)] == []


@docker
def test_a_spare_keeps_the_hard_deadline(docker_backend: object, tcp_echo: Lab) -> None:
    attack = REPO_ROOT / "tests" / "docker" / "attacks" / "sleeps_forever"
    with batch_session(docker_backend):  # type: ignore[arg-type]
        timed_run(docker_backend, tcp_echo, tcp_echo.reference, deadline=6)  # only to have a spare made
        wait_for_spare(docker_backend)
        report, elapsed = timed_run(docker_backend, tcp_echo, attack, deadline=6)
        assert report.has_error and "did not finish within 6 s" in report.tests[0].output, explain(report)
        assert elapsed < 6 + 30
    assert our_containers() == []
