"""grader.yml: the example validates, every kind of mistake is reported with its key path."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from grader.config import LatePolicy, find_config, load_config
from grader.errors import ConfigError
from grader.labs import all_labs

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def labs():  # type: ignore[no-untyped-def]
    return all_labs()


def load(tmp_path: Path, text: str, labs):  # type: ignore[no-untyped-def]
    path = tmp_path / "grader.yml"
    path.write_text(text)
    return load_config(path, labs)


def problems(tmp_path: Path, text: str, labs) -> list[str]:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text, labs)
    return str(info.value).splitlines()


def test_the_repository_example_validates(labs) -> None:  # type: ignore[no-untyped-def]
    config = load_config(REPO / "grader.yml", labs)
    assert config.backend == "docker"
    tcp = config.lab("tcp_echo")
    assert tcp.overrides() == {"echo_large": {"points": 4.0}, "survives_reset": {"hidden": True}}
    assert tcp.late is not None and tcp.late.percent_per_day == 10
    assert tcp.submission_times is not None and tcp.submission_times.is_file()
    assert config.offered is not None and "tcp_echo" in config.offered


def test_no_file_means_defaults(tmp_path: Path, labs) -> None:  # type: ignore[no-untyped-def]
    assert find_config(None, tmp_path) is None
    config = load_config(None, labs)
    assert config.backend == "docker" and config.offered is None and config.deadline("tcp_echo") == 300


def test_explicit_config_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        find_config(tmp_path / "nope.yml")


def test_points_not_a_number_names_the_key(tmp_path: Path, labs) -> None:  # type: ignore[no-untyped-def]
    assert problems(tmp_path, "labs:\n  tcp_echo:\n    points:\n      echo_large: ten\n", labs) == [
        "grader.yml: labs.tcp_echo.points.echo_large: expected a number, got 'ten'"]


def test_every_problem_is_reported_at_once(tmp_path: Path, labs) -> None:  # type: ignore[no-untyped-def]
    found = problems(tmp_path, """
backend: podman
jobs: 0
limts: {deadline: 10}
labs:
  tcp_ecko: {}
  tcp_echo:
    points: {echo_lareg: 3, echo_short: true}
    hidden: shutdown_flush
    late_policy: {percent_per_day: 10}
    deadline: -5
""", labs)
    text = "\n".join(found)
    assert "grader.yml: backend: expected one of local, docker, got 'podman'" in found
    assert "grader.yml: jobs: expected a number at least 1, got 0" in found
    assert "grader.yml: limts: unknown key (did you mean 'limits'?)" in text
    assert "grader.yml: labs.tcp_ecko: no such lab (did you mean 'tcp_echo'?)" in text
    assert "labs.tcp_echo.points.echo_lareg: no check named 'echo_lareg' (did you mean 'echo_large'?)" in text
    assert "grader.yml: labs.tcp_echo.points.echo_short: expected a number, got True" in found
    assert "grader.yml: labs.tcp_echo.hidden: expected a list of check names, got 'shutdown_flush'" in found
    assert "grader.yml: labs.tcp_echo.late_policy: needs a due date: add `due:` next to it" in found
    assert any(p.startswith("grader.yml: labs.tcp_echo.deadline: expected a number above 0") for p in found)
    assert len(found) == 9


@pytest.mark.parametrize(("text", "expected"), [
    ("labs: [tcp_echo]\n", "grader.yml: labs: expected a mapping of keys, got a list"),
    ("- just\n- a list\n", "grader.yml: expected a mapping of keys, got a list"),
    ("backend: local\n  jobs: 2\n", "grader.yml: not valid YAML (line 2, column 7)"),
    ("labs:\n  tcp_echo:\n    due: next friday\n",
     "grader.yml: labs.tcp_echo.due: expected a date and time like 2025-10-10T23:59:00+02:00, got 'next friday'"),
    ("labs:\n  tcp_echo:\n    due: 2025-10-10\n    late_policy: {percent_per_day: 150}\n",
     "grader.yml: labs.tcp_echo.late_policy.percent_per_day: expected a percentage up to 100, got 150"),
    ("labs:\n  tcp_echo:\n    submission_times: nowhere.csv\n",
     "grader.yml: labs.tcp_echo.submission_times: no such file"),
    ("limits: {pids: 1.5}\n", "grader.yml: limits.pids: expected a whole number, got 1.5"),
    ("labs:\n  tcp_echo:\n    hidden: [sutdown_flush]\n",
     "grader.yml: labs.tcp_echo.hidden: no check named 'sutdown_flush' (did you mean 'shutdown_flush'?)"),
])
def test_malformed(tmp_path: Path, labs, text: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    assert any(p.startswith(expected) for p in problems(tmp_path, text, labs)), expected


def test_relative_paths_are_relative_to_the_file(tmp_path: Path, labs) -> None:  # type: ignore[no-untyped-def]
    config = load(tmp_path, "output: results\nbackend: local\njobs: 3\n", labs)
    assert config.output == tmp_path / "results" and config.jobs == 3 and config.backend == "local"


def test_lab_checks_are_read_without_running_them(labs) -> None:  # type: ignore[no-untyped-def]
    checks = labs["tcp_echo"].check_names()
    assert checks[0] == "compiles" and "echo_large" in checks and "shutdown_flush" in checks


def test_late_policy_counts_started_days_after_the_grace() -> None:
    due = dt.datetime(2025, 10, 10, 23, 59, tzinfo=dt.timezone.utc)
    policy = LatePolicy(due=due, percent_per_day=10, grace_minutes=15, max_days=3)
    assert policy.days_late(due) == 0
    assert policy.days_late(due + dt.timedelta(minutes=14)) == 0
    assert policy.days_late(due + dt.timedelta(minutes=16)) == 1
    assert policy.days_late(due + dt.timedelta(days=1, minutes=16)) == 2
    assert policy.penalty_percent(2) == 20
    assert policy.penalty_percent(4) == 100  # past max_days: no credit
    assert LatePolicy(due=due, percent_per_day=40).penalty_percent(3) == 100
