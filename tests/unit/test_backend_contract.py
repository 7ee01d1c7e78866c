"""The backend contract: one argv for the runner, limits as a declared dataclass."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

from grader.backends import RunRequest, runner_argv
from grader.backends.docker import Limits
from grader.labs import get_lab
from harness.runner import parse_args


def test_every_request_field_reaches_the_runner() -> None:
    lab = get_lab("tcp_echo")
    request = RunRequest(lab=lab, submission=lab.reference, include_hidden=True, only=("echo_short", "echo_large"),
                         overrides={"echo_short": {"points": 5}}, explain=True, progress=lambda event: None)
    argv = runner_argv(request, lab_dir="/labs/tcp_echo", submission="/submission", scratch="/scratch",
                       isolate="no", out="/out.json", student_uid=1_234_567, student_nproc=64, hosts_preset=True)
    args = parse_args(argv)  # the runner's own parser accepts exactly what the builder writes
    assert args.include_hidden and args.explain and args.progress and args.hosts_preset
    assert args.only == "echo_short,echo_large" and args.overrides == '{"echo_short": {"points": 5}}'
    assert (args.student_uid, args.student_nproc, args.isolate, args.out) == (1_234_567, 64, "no", "/out.json")
    # Fields a backend honours itself rather than pass on: which lab and folder (as paths), the deadline.
    passed_on = {"include_hidden", "only", "overrides", "explain", "progress"}
    assert {f.name for f in dataclasses.fields(RunRequest)} - passed_on == {"lab", "submission", "deadline"}


def test_a_plain_request_adds_no_flags() -> None:
    lab = get_lab("tcp_echo")
    argv = runner_argv(RunRequest(lab=lab, submission=lab.reference), lab_dir="l", submission="s", scratch="t",
                       isolate="auto")
    assert not [a for a in argv if a in ("--include-hidden", "--explain", "--progress", "--only", "--hosts-preset")]


def test_limits_come_from_the_config_by_declared_field() -> None:
    limits = Limits.from_config({"memory_mb": 512.0, "cpus": 2, "pids": 300.0, "deadline": 60, "archive_mb": 5})
    assert limits == dataclasses.replace(Limits(), memory_mb=512, cpus=2.0, pids=300)
    assert isinstance(limits.memory_mb, int) and isinstance(limits.cpus, float)
    assert Limits.from_config({}) == Limits()


def test_only_the_shared_loopback_fallback_runs_one_at_a_time() -> None:
    from grader.backends import parallel_jobs
    from grader.backends.local import LocalBackend

    assert parallel_jobs(LocalBackend(isolate="no", cpus=0), 4)[0] == 1
    assert parallel_jobs(LocalBackend(isolate="no", cpus=0), 1) == (1, "")
    assert parallel_jobs(LocalBackend(isolate="yes", cpus=0), 4) == (4, "")  # no namespace: an error, never shared
    assert parallel_jobs(SimpleNamespace(name="docker"), 4) == (4, "")  # type: ignore[arg-type]  # own network each
