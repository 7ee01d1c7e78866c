"""Runners forked from the warm zygote (grader.backends.warm, harness.zygote) grade as cold ones do,
are killed at the deadline like them, and leave nothing behind, not even when the grader is SIGKILLed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from grader.backends import RunRequest
from grader.backends.local import LocalBackend
from grader.labs import get_lab
from grader.scratch import sweep_abandoned

ROOT = Path(__file__).resolve().parents[2]
LAB = get_lab("tcp_echo")


def outcomes(report) -> list[tuple[str, str, float]]:
    return [(t.name, t.outcome, t.score) for t in report.tests]


def descendants(root: int) -> dict[int, str]:
    """Every process under `root` (pid: command line), from /proc."""
    children: dict[int, list[int]] = {}
    commands: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                commands[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found: dict[int, str] = {}
    todo = list(children.get(root, []))
    while todo:
        pid = todo.pop()
        found[pid] = commands.get(pid, "")
        todo.extend(children.get(pid, []))
    return found


NEVER_ACCEPTS = "import socket, time\ns = socket.create_server(('', 9000))\nwhile True:\n    time.sleep(1)  # never accepts\n"


@pytest.mark.parametrize("submission", ["reference", "exits_on_any_reset", "syntax_error"])
def test_warm_and_cold_runs_agree(submission: str) -> None:
    folder = LAB.directory.parent.parent / "reference" / "tcp_echo" if submission == "reference" \
        else LAB.directory / "variants" / submission
    cold_events: list[dict] = []
    warm_events: list[dict] = []
    cold = LocalBackend().run(RunRequest(lab=LAB, submission=folder, progress=cold_events.append))
    warm_backend = LocalBackend(warm=True)
    try:
        warm = warm_backend.run(RunRequest(lab=LAB, submission=folder, progress=warm_events.append))
    finally:
        warm_backend.close()
    assert outcomes(warm) == outcomes(cold)
    assert [(e["event"], e["check"]) for e in warm_events] == [(e["event"], e["check"]) for e in cold_events]


def test_the_deadline_kills_a_warm_runner_and_everything_it_started(tmp_path: Path) -> None:
    (tmp_path / "echo_server.py").write_text(NEVER_ACCEPTS)
    before = set(descendants(os.getpid()))  # other tests' zygotes in this worker, if any
    backend = LocalBackend(warm=True)
    try:
        report = backend.run(RunRequest(lab=LAB, submission=tmp_path, deadline=3))
        assert report.has_error and "did not finish within 3 s" in report.tests[-1].output
        left = {pid: command for pid, command in descendants(os.getpid()).items() if pid not in before}
        assert len(left) == 1 and "harness.zygote" in next(iter(left.values())), left
    finally:
        backend.close()
    assert set(descendants(os.getpid())) <= before


GRADE_FOREVER = """
import sys
from pathlib import Path
from grader.backends import RunRequest
from grader.backends.local import LocalBackend
from grader.labs import get_lab
from grader.scratch import sweep_abandoned
LocalBackend(warm=True).run(RunRequest(lab=get_lab("tcp_echo"), submission=Path(sys.argv[1])))
"""


def test_a_killed_grader_takes_its_zygote_and_runners_with_it(tmp_path: Path) -> None:
    (tmp_path / "echo_server.py").write_text(NEVER_ACCEPTS)
    grader = subprocess.Popen([sys.executable, "-c", GRADE_FOREVER, str(tmp_path)], cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        end = time.monotonic() + 30
        while not any("echo_server.py" in command for command in descendants(grader.pid).values()):
            assert time.monotonic() < end, "the student's program never started"
            time.sleep(0.01)  # poll
        tree = descendants(grader.pid)
        assert any("harness.zygote" in command for command in tree.values()), tree
        left = [p for p in Path(tempfile.gettempdir()).glob("grader-local-*")
                if (p / ".owner").is_file() and (p / ".owner").read_text().strip() == str(grader.pid)]
        assert left, "the grader's scratch folder is not where the sweep looks"
    finally:
        grader.send_signal(signal.SIGKILL)
        grader.wait()
    end = time.monotonic() + 15
    while alive := [command for pid, command in tree.items() if Path(f"/proc/{pid}").exists()]:
        assert time.monotonic() < end, f"outlived the SIGKILLed grader: {alive}"
        time.sleep(0.02)  # poll
    # Its scratch folder stays (nobody was left to remove it) until the next grader start sweeps it (this
    # one, or one another test worker started meanwhile).
    sweep_abandoned()
    assert not any(p.exists() for p in left)


def test_a_batch_and_a_selftest_close_their_zygote(grader_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    before = set(descendants(os.getpid()))
    code, _, err = grader_cli("grade", "--backend", "local", "--out", tmp_path / "out", "--jobs", "2")
    assert code == 0, err
    code, _, err = grader_cli("selftest", "hello")
    assert code == 0, err
    assert set(descendants(os.getpid())) <= before
