"""`grader init` vendors the grader: a fresh venv installs it with no package index, from the
course repository or from a git clone of it, and runs `grader check` and the CI workflow's steps."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from grader.init_course import JUNIT, WORKFLOW, init_course

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def run(*cmd: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 600) -> str:
    result = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout, check=False)
    assert result.returncode == 0, f"{cmd}: exit {result.returncode}\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.mark.timeout(900)
def test_install_from_what_init_wrote_without_an_index(tmp_path: Path) -> None:
    course = tmp_path / "course"
    init_course(course, ["tcp_echo"])
    wheels = sorted(p.name for p in (course / ".grader").glob("*.whl"))
    assert any(w.startswith("socklab_grader-") for w in wheels) and any(w.lower().startswith("pytest-") for w in wheels)

    # The git route: a clone of the course repository (over a URL) carries the wheels.
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    run("git", "init", "-q", cwd=course)
    run(*git, "add", "-A", cwd=course)
    run(*git, "commit", "-qm", "course", cwd=course)
    clone = tmp_path / "clone"
    run("git", "clone", "-q", course.as_uri(), clone, cwd=tmp_path)

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PIP_NO_INDEX="1", PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
               SOCKLAB_LABS=str(clone))

    workflow = yaml.safe_load((clone / WORKFLOW).read_text())
    steps = [s["run"] for s in workflow["jobs"]["selftest"]["steps"] if "run" in s and "sudo" not in s["run"]]
    assert steps[0] == "python -m pip install -r requirements-grader.txt"
    for step in steps:  # exactly the workflow's commands, with no package index reachable for pip
        run("bash", "-c", step, cwd=clone, env=env)
    assert (clone / JUNIT).is_file() and 'failures="0"' in (clone / JUNIT).read_text()

    # A student install: `grader check` works, and the instructor extras were not installed.
    student = tmp_path / "mine"
    shutil.copytree(REPO / "reference" / "tcp_echo", student)
    out = run(venv / "bin" / "grader", "check", "tcp_echo", student, cwd=tmp_path, env=env)
    assert "20 / 20" in out or "20/20" in out, out
    for extra in ("docker", "matplotlib"):
        probe = subprocess.run([venv / "bin" / "python", "-c", f"import importlib.metadata as m; m.version({extra!r})"],
                               capture_output=True, env=env, cwd=tmp_path, check=False)
        assert probe.returncode != 0, f"{extra} came with the student install"
