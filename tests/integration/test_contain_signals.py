"""The student's program starts with every signal at its default action, however the grader was started.

An ignored signal stays ignored across exec. Started from a background job of a non-interactive shell
(`grader check ... &`, nohup, CI runners), the grader inherits SIGINT and SIGQUIT ignored; before
harness.contain.default_signals the student's Python then had no KeyboardInterrupt handler, so a stop
by Ctrl-C never reached it and every check waited out its grace period before the kill."""

from __future__ import annotations

import marshal
import os
import signal
import subprocess
import sys
from pathlib import Path

from harness.launch import CONTAIN, HARNESS_ROOT
from harness.spawner import Spawner

REPORT = ("import signal\n"
          "print(signal.getsignal(signal.SIGINT) is signal.default_int_handler,\n"
          "      signal.getsignal(signal.SIGQUIT) == signal.SIG_DFL, signal.getsignal(signal.SIGHUP) == signal.SIG_DFL,\n"
          "      not signal.pthread_sigmask(signal.SIG_BLOCK, []))\n")
AS_AT_A_TERMINAL = "True True True True\n"
INHERITED = (signal.SIGINT, signal.SIGQUIT, signal.SIGHUP)


def spec(tmp_path: Path) -> dict:
    return {"mode": "uid", "uid": None, "rlimits": {}, "cwd": str(tmp_path), "env": {"PATH": "/usr/bin:/bin"},
            "argv": [sys.executable, "-c", REPORT], "view": None, "user": None}


def ignore_and_block() -> None:
    for sig in INHERITED:
        signal.signal(sig, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})


def test_a_fresh_trampoline_gives_default_signals(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-S", "-P", CONTAIN, marshal.dumps(spec(tmp_path)).hex()],
                          check=False, capture_output=True, text=True, timeout=60, cwd=HARNESS_ROOT,
                          preexec_fn=ignore_and_block, env={"PYTHONPATH": HARNESS_ROOT, "PATH": os.environ["PATH"]})
    assert (done.returncode, done.stdout, done.stderr) == (0, AS_AT_A_TERMINAL, "")


def test_a_served_trampoline_gives_default_signals(tmp_path: Path) -> None:
    before = {sig: signal.getsignal(sig) for sig in INHERITED}
    for sig in INHERITED:  # the fork server inherits them from the runner that starts it
        signal.signal(sig, signal.SIG_IGN)
    try:
        server = Spawner()
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)
    try:
        with open(os.devnull, "rb") as null, open(tmp_path / "out", "wb") as out:
            program = server.spawn(spec(tmp_path), null.fileno(), out.fileno(), out.fileno())
            assert program.wait(60) == 0
    finally:
        server.close()
    assert (tmp_path / "out").read_text() == AS_AT_A_TERMINAL
