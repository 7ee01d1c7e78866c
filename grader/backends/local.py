"""The local sandbox: the check runner as a child process in its own namespaces.

The runner (harness.runner) moves itself into a fresh user + network
namespace and starts each student program in a PID namespace of its own, so
50 submissions that all bind port 9000 can run side by side and nothing a
submission starts survives it. This process only starts the runner, enforces
an outer wall-clock deadline, and reads back the results document.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from grader.backends import DEFAULT_DEADLINE, RunRequest
from grader.paths import harness_root
from grader.results import MalformedResult, Report, error_report, parse_report

STDERR_KEEP = 4000
PROGRESS_PREFIX = b"@@grader-progress "  # harness.plugin.PROGRESS_PREFIX  # characters of the runner's stderr kept for an error report


class LocalBackend:
    name = "local"

    def __init__(self, isolate: str = "auto") -> None:
        self.isolate = isolate

    def run(self, request: RunRequest) -> Report:
        lab = request.lab
        deadline = request.deadline or DEFAULT_DEADLINE
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="grader-local-") as tmp:
            out = Path(tmp) / "results.json"
            errlog = Path(tmp) / "runner.stderr"
            argv = [sys.executable, "-m", "harness.runner", "--lab-dir", str(lab.directory),
                    "--submission", str(request.submission), "--out", str(out),
                    "--scratch", str(Path(tmp) / "scratch"), "--isolate", self.isolate,
                    "--overrides", json.dumps(request.overrides)]
            if request.include_hidden:
                argv.append("--include-hidden")
            if request.only:
                argv += ["--only", ",".join(request.only)]
            if request.explain:
                argv.append("--explain")
            if request.progress:
                argv.append("--progress")
            env = {**os.environ, "PYTHONPATH": str(harness_root()), "PYTHONDONTWRITEBYTECODE": "1"}
            with open(errlog, "wb") as err:
                proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=err,
                                        stderr=subprocess.PIPE if request.progress else err,
                                        env=env, start_new_session=True)
                relay = None
                if request.progress and proc.stderr is not None:
                    relay = threading.Thread(target=_relay, args=(proc.stderr, err, request.progress), daemon=True)
                    relay.start()
                try:
                    proc.wait(timeout=deadline)
                    if relay is not None:
                        relay.join(5)
                except subprocess.TimeoutExpired:
                    _kill_group(proc)
                    return error_report(lab.name, f"the sandbox did not finish within {deadline:g} s and was killed",
                                        time.monotonic() - started)
                except BaseException:
                    _kill_group(proc)  # Ctrl-C: nothing of ours survives
                    raise
            _kill_group(proc)
            stderr = errlog.read_text(errors="replace")[-STDERR_KEEP:]
            try:
                text = out.read_bytes()
            except OSError:
                return error_report(lab.name, f"the check runner exited with status {proc.returncode} "
                                              f"without writing results:\n{stderr}", time.monotonic() - started)
            try:
                report = parse_report(text, lab.name)
            except MalformedResult as exc:
                return error_report(lab.name, str(exc), time.monotonic() - started)
        return report


def _relay(pipe: IO[bytes], log: IO[bytes], progress: Callable[[dict[str, Any]], None]) -> None:
    """Forward the runner's progress events; everything else goes to the log."""
    for line in pipe:
        if line.startswith(PROGRESS_PREFIX):
            try:
                event = json.loads(line[len(PROGRESS_PREFIX):])
            except ValueError:
                continue
            if isinstance(event, dict):
                progress(event)
        else:
            log.write(line)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    proc.wait()
