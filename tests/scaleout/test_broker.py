"""`grader grade --broker` against a local batch: a real redis-server, real `grader worker` processes.

The broker path must write the same output folder as a local batch (timings
aside), survive a worker SIGKILLed mid-task and a broker restart, and refuse
to grade with other checks.
"""

from __future__ import annotations

import re
import signal
import subprocess
from pathlib import Path

import pytest

from bench.classes import mixed_kinds, write_class
from harness.waiting import poll
from tests.scaleout.batches import EXAMPLES, assert_same_folders, fast_class, finish, grade, local_batch
from tests.scaleout.conftest import REPO, RedisServer, Workers, children, grader_env

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("broker")]


@pytest.mark.timeout(1200)
def test_two_workers_grade_the_examples_and_a_class_of_40_like_a_local_batch(
        tmp_path: Path, redis_server: RedisServer, workers: Workers) -> None:
    workers.start("w1", "--jobs", "1")
    workers.start("w2", "--jobs", "1")
    write_class(tmp_path / "class40", mixed_kinds(40))
    for name, source in (("examples", EXAMPLES), ("class40", tmp_path / "class40")):
        local_batch("tcp_echo", source, tmp_path / f"{name}-local")
        code, out, err = finish(grade("tcp_echo", source, "--out", tmp_path / f"{name}-broker",
                                      "--broker", redis_server.url, cwd=tmp_path))
        assert code == 0, err
        assert "through the broker redis://127.0.0.1" in err and "2 worker(s) seen" in err, err
        assert_same_folders(tmp_path / f"{name}-broker", tmp_path / f"{name}-local")
    # Resume by content hash works unchanged: a rerun grades nobody.
    code, _, err = finish(grade("tcp_echo", EXAMPLES, "--out", tmp_path / "examples-broker",
                                "--broker", redis_server.url, cwd=tmp_path))
    assert code == 0 and "0 to grade (6 already graded)" in err, err
    assert "graded" in workers.log("w1") and "graded" in workers.log("w2")


@pytest.fixture
def short_deadline(tmp_path: Path) -> Path:
    """A course folder whose grader.yml gives each submission 30 s (so redelivery comes within a minute)."""
    course = tmp_path / "course"
    course.mkdir()
    (course / "grader.yml").write_text("backend: local\nlimits:\n  deadline: 30\n")
    return course


def in_a_sandbox(worker: subprocess.Popen[bytes]) -> list[int]:
    """The worker's sandbox runners (its children), once it has one."""
    return children(worker.pid)


@pytest.mark.timeout(900)
def test_a_worker_killed_mid_task_has_its_task_redelivered_and_every_student_is_graded_once(
        tmp_path: Path, redis_server: RedisServer, workers: Workers, short_deadline: Path) -> None:
    source = fast_class(tmp_path / "class", 12)
    local_batch("tcp_echo", source, tmp_path / "local")
    doomed = workers.start("doomed", "--jobs", "1", "--visibility-timeout", "40")
    workers.start("survivor", "--jobs", "1", "--visibility-timeout", "40")
    proc = grade("tcp_echo", source, "--out", tmp_path / "broker", "--broker", redis_server.url,
                 cwd=short_deadline)
    runners = poll(lambda: in_a_sandbox(doomed), 120, cap=0.02)
    assert runners, f"the worker never started a sandbox:\n{workers.log('doomed')}"
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    code, _, err = finish(proc)
    assert code == 0, err
    graded_lines = [line for line in err.splitlines() if re.match(r"\[\s*\d+/12\]", line)]
    students = [line.rsplit("  ", 1)[1].split(":")[0] for line in graded_lines]
    assert sorted(students) == sorted(f"student{n:03d}" for n in range(12)), err  # each exactly once
    assert_same_folders(tmp_path / "broker", tmp_path / "local")
    by_doomed = workers.log("doomed").count("graded student")
    assert workers.log("survivor").count("graded student") >= 12 - by_doomed
    # The killed worker's sandbox does not outlive its own deadline.
    assert poll(lambda: not any(Path(f"/proc/{pid}").exists() for pid in runners), 60, cap=0.2)


@pytest.mark.timeout(900)
def test_a_broker_restart_mid_batch_loses_no_result_and_a_rerun_completes_identically(
        tmp_path: Path, redis_server: RedisServer, workers: Workers, short_deadline: Path) -> None:
    source = fast_class(tmp_path / "class", 12)
    local_batch("tcp_echo", source, tmp_path / "local")
    workers.start("w1", "--jobs", "1", "--visibility-timeout", "40")
    workers.start("w2", "--jobs", "1", "--visibility-timeout", "40")
    out = tmp_path / "broker"
    proc = grade("tcp_echo", source, "--out", out, "--broker", redis_server.url, cwd=short_deadline)
    assert poll(lambda: len(list(out.glob("*/results.json"))) >= 3, 300, cap=0.05)
    redis_server.stop()
    redis_server.start()  # the same port, empty: the queue and every stored reply are gone
    code, _, err = finish(proc)
    assert code in (0, 3), err
    assert "lost the broker" in err, err
    code, _, err = finish(grade("tcp_echo", source, "--out", out, "--broker", redis_server.url,
                                cwd=short_deadline))
    assert code == 0, err
    assert_same_folders(out, tmp_path / "local")


@pytest.mark.timeout(600)
def test_a_worker_with_other_checks_refuses_in_one_line_and_the_student_gets_no_zero(
        tmp_path: Path, redis_server: RedisServer, workers: Workers) -> None:
    labs = tmp_path / "other-labs"
    for part in ("assignments", "reference"):
        (labs / part).mkdir(parents=True)
        subprocess.run(["cp", "-r", str(REPO / part / "tcp_echo"), str(labs / part)], check=True)
    with open(labs / "assignments" / "tcp_echo" / "checks.py", "a") as f:
        f.write("\n# a check changed on this machine only\n")
    workers.start("stale", "--jobs", "1", env=grader_env(SOCKLAB_LABS=str(labs)))
    source = fast_class(tmp_path / "class", 1)
    code, out, err = finish(grade("tcp_echo", source, "--out", tmp_path / "broker", "--broker", redis_server.url,
                                  cwd=tmp_path))
    assert code == 3, err
    refusals = [line for line in workers.log("stale").splitlines() if "refused" in line]
    assert len(refusals) == 3 and "version mismatch" in refusals[0], workers.log("stale")  # 1 try + 2 retries
    assert "student000: attempt 3: worker stale@test refused the task: version mismatch" in out, out
    rows = (tmp_path / "broker" / "grades.csv").read_text().splitlines()
    assert rows[1].startswith("student000,,,"), rows  # an empty cell, never a zero
