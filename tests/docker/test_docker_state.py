"""Docker: a fresh scratch, /tmp and /dev/shm for every check, and an OOM kill named as such (issue 13)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from docker_helpers import explain, timed_run

from grader.labs import Lab

pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]

PROGRAMS = Path(__file__).resolve().parents[1] / "integration" / "programs"


def _submission(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    shutil.copyfile(PROGRAMS / name, folder / "echo_server.py")
    return folder


def test_no_check_sees_the_files_of_the_one_before(docker_backend: object, tcp_echo: Lab, tmp_path: Path) -> None:
    report, _ = timed_run(docker_backend, tcp_echo, _submission(tmp_path, "stateful_echo_server.py"))
    assert report.all_passed, explain(report)


def test_an_oom_kill_says_the_memory_limit_was_reached(docker_backend: object, tcp_echo: Lab,
                                                       tmp_path: Path) -> None:
    report, _ = timed_run(docker_backend, tcp_echo, _submission(tmp_path, "memory_hog_echo_server.py"),
                          only=("echo_short",))
    check = next(t for t in report.tests if t.name == "echo_short")
    assert not check.passed
    limit = docker_backend.limits.memory_mb  # type: ignore[attr-defined]
    assert f"killed: the memory limit of {limit} MiB was reached" in check.output, check.output
