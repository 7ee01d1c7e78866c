"""A scaffolded lab passes `grader selftest` at once (references pass, the known-bad variant fails)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.new_lab import new_lab
from grader.paths import LABS_ENV

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_selftest_passes_immediately(tmp_path: Path) -> None:
    new_lab("fresh_server", kind="server", root=tmp_path)
    new_lab("fresh_client", kind="client", port=9555, root=tmp_path)
    junit = tmp_path / "selftest.xml"
    env = {**os.environ, LABS_ENV: str(tmp_path), "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-m", "grader", "selftest", "fresh_server", "fresh_client",
                             "--junit", str(junit)], check=False, capture_output=True, text=True, env=env, timeout=240,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed, 0 failed" in result.stdout
    assert "fresh_server/one_line_per_connection" in result.stdout and "fails greets_each_line" in result.stdout
    assert "fresh_client/prints_bytes" in result.stdout and "fails prints_greeting" in result.stdout
    assert junit.read_text().count("<testsuite ") == 4


def test_flake_hunter_names_the_check_and_the_run_it_changed_in(tmp_path: Path) -> None:
    new_lab("flaky", kind="server", root=tmp_path)
    reference = tmp_path / "reference" / "flaky" / "server.py"
    mark = tmp_path / "started-once"
    # The very first start of the reference (run 1's first check) exits at once; every later one is correct.
    reference.write_text(f"import os, sys\nif not os.path.exists({str(mark)!r}):\n"
                         f"    open({str(mark)!r}, 'w').close()\n    sys.exit(1)\n" + reference.read_text())
    # The mark must outlive the run, which the namespace sandbox forbids (a private /tmp per program):
    # the flake hunter is what is under test here, so this trusted reference runs without namespaces.
    env = {**os.environ, LABS_ENV: str(tmp_path), "PYTHONPATH": str(REPO), "GRADER_ISOLATE": "no"}
    # Its own network namespace: the fallback binds the lab's port on the loopback it is on (tests/own_network.py).
    result = subprocess.run([sys.executable, str(REPO / "tests" / "own_network.py"), "grader", "selftest", "flaky",
                             "--repeat", "2", "--jobs", "1"],
                            check=False, capture_output=True, text=True, env=env, timeout=240, cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "checks whose outcome changed between runs: 1" in result.stdout
    assert "flaky/reference greets_each_line: crashed in run 1; passed in run 2" in result.stdout
