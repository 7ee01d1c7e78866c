"""Batch grading refuses a weaker local sandbox unless the instructor accepts it explicitly (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.backends import local

MISSING = "weaker local sandbox, missing: user and network namespaces (Operation not permitted)"


@pytest.fixture
def weaker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local, "isolation_missing", lambda: MISSING)


def test_batch_refuses_a_weaker_local_sandbox(weaker: None, grader_cli, tmp_path: Path) -> None:
    code, out, err = grader_cli("grade", "tcp_echo", tmp_path, "--backend", "local", "--out", tmp_path / "out")
    assert code == 2 and MISSING in err and "--accept-weaker-isolation" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_the_explicit_flag_accepts_it_and_says_so(weaker: None, grader_cli, tmp_path: Path) -> None:
    (tmp_path / "class").mkdir()
    code, out, err = grader_cli("grade", "tcp_echo", tmp_path / "class", "--backend", "local",
                                "--accept-weaker-isolation", "--out", tmp_path / "out")
    assert f"warning: {MISSING}" in err


def test_the_probe_prints_one_line_or_nothing() -> None:
    line = local.isolation_missing()
    assert line == "" or (line.startswith("weaker local sandbox, missing: ") and "\n" not in line)
