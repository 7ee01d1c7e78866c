"""Trampolines forked from the runner's server (harness.spawner) grade exactly as trampolines started
as interpreters of their own, and the server leaves nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.backends import RunRequest
from grader.backends.local import LocalBackend
from grader.labs import get_lab
from harness.launch import SPAWNER_VAR
from harness.spawner import Spawner

LAB = get_lab("tcp_echo")


def outcomes(report) -> list[tuple[str, str, float]]:
    return [(t.name, t.outcome, t.score) for t in report.tests]


@pytest.mark.parametrize("submission", ["reference", "exits_on_any_reset", "loses_tail_at_eof", "spins_on_eof"])
def test_forked_and_fresh_trampolines_agree(submission: str, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = LAB.directory.parent.parent / "reference" / "tcp_echo" if submission == "reference" \
        else LAB.directory / "variants" / submission
    served = LocalBackend().run(RunRequest(lab=LAB, submission=folder))
    monkeypatch.setenv(SPAWNER_VAR, "0")
    fresh = LocalBackend().run(RunRequest(lab=LAB, submission=folder))
    assert not served.has_error and outcomes(served) == outcomes(fresh)


def test_exit_status_signals_and_close(tmp_path: Path) -> None:
    """The server reports each trampoline's exit as subprocess would, signals only its own children,
    and takes every trampoline still running with it when the runner closes it."""
    server = Spawner()
    try:
        def spec(code: str) -> dict:
            return {"mode": "uid", "uid": None, "rlimits": {}, "cwd": str(tmp_path),
                    "env": {"PATH": "/usr/bin:/bin"}, "argv": [sys.executable, "-c", code], "view": None, "user": None}
        with open(os.devnull, "rb") as null, open(tmp_path / "out", "wb") as out:
            fds = (null.fileno(), out.fileno(), out.fileno())
            exits_3 = server.spawn(spec("import sys; print('hi'); sys.exit(3)"), *fds)
            assert exits_3.wait(30) == 3
            sleeper = server.spawn(spec("import time; time.sleep(60)"), *fds)
            with pytest.raises(subprocess.TimeoutExpired):
                sleeper.wait(0.2)
            sleeper.send_signal(signal.SIGTERM)  # uid mode without a uid: the trampoline kills its child
            assert sleeper.wait(30) is not None
            last = server.spawn(spec("import time; time.sleep(60)"), *fds)
            assert last.poll() is None
        assert (tmp_path / "out").read_text() == "hi\n"
    finally:
        server.close()
    end = time.monotonic() + 10
    while Path(f"/proc/{last.pid}").exists() and (Path(f"/proc/{last.pid}/stat").read_text().split()[2] != "Z"):
        assert time.monotonic() < end, "a trampoline outlived its server"
        time.sleep(0.01)  # poll
    assert server.server.returncode == 0
