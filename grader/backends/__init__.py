"""Sandbox back-ends: where one submission's checks run.

Both run the same `python3 -m harness.runner` next to the student's program
and hand back its results document; they differ only in isolation:

    local   a child process tree in its own user, network and PID namespaces
            (plain loopback with a warning where Linux does not allow them)
    docker  one hardened container per submission (grader.backends.docker)
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from grader.errors import UsageError
from grader.labs import Lab
from grader.results import Report

BACKENDS = ("local", "docker")
DEFAULT_DEADLINE = 300.0  # seconds for one submission: only a runaway sandbox reaches it


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRequest:
    """One submission to grade. Every backend honours every field (runner_argv carries them)."""

    lab: Lab  # which checks: the sandbox runs lab.directory's checks.py on lab.file
    submission: Path  # a folder holding lab.file; read-only to the backend, copied before anything runs
    include_hidden: bool = False  # also run @pytest.mark.hidden checks (instructors' grading)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)  # grader.yml {check: {points, hidden}}
    only: tuple[str, ...] = ()  # run just these checks (plus `compiles`); () runs them all
    deadline: float | None = None  # hard wall-clock limit for the whole run, seconds; None: the backend's
    explain: bool = False  # transcript and how-to-reproduce for passing checks too
    # check started / finished events ({"event": "start"|"done", "check": ...}), called on a thread of the
    # backend's; the local backend calls it as checks run, Docker once the container has ended
    progress: Callable[[dict[str, Any]], None] | None = None


class Backend(Protocol):
    """A sandbox. `run` never raises for anything the submission or the sandbox did.

    What every backend must do with a request:
      * run harness.runner with runner_argv(request, ...) next to the student's program;
      * kill everything it started by `deadline` (request's, else its own, else DEFAULT_DEADLINE),
        and on Ctrl-C before re-raising;
      * parse what comes back only with grader.results.parse_report (untrusted text);
      * turn every failure of its own (no document, a malformed one, the deadline, the engine)
        into grader.results.error_report, never a score;
      * deliver `progress` events if asked (see RunRequest.progress).
    Only a bad request of the caller's (UsageError) or an interruption may propagate.
    A backend may also offer `batch()`, a context manager around many runs (see batch_session),
    and `serial_reason`, a line saying why its runs cannot go in parallel (see parallel_jobs).
    """

    name: str

    def run(self, request: RunRequest) -> Report: ...


def parallel_jobs(backend: Backend, jobs: int) -> tuple[int, str]:
    """How many runs of `backend` may go at once when `jobs` were asked, and a note when fewer.

    The local sandbox's fallback (no namespaces) puts every program on this machine's loopback:
    two servers of a lab both bind its port, and the second one's checks fail. So it runs one."""
    if jobs <= 1:
        return jobs, ""  # before serial_reason: looking it up may start a probe process
    why: str = getattr(backend, "serial_reason", "")
    if not why:
        return jobs, ""
    return 1, (f"note: one run at a time, not {jobs}: the local sandbox has no network of its own ({why}), "
               "so every program binds this machine's loopback ports, and two at once would collide")


def runner_argv(request: RunRequest, *, lab_dir: str, submission: str, scratch: str, isolate: str,
                out: str | None = None, student_uid: int | None = None, student_nproc: int | None = None,
                hosts_preset: bool = False) -> list[str]:
    """harness.runner's arguments for `request`: the one place they are built, for every backend.

    The paths are the runner's view (inside a container they differ from ours); `out` is None
    where a wrapper adds it (harness.docker_entry); `student_uid`/`student_nproc`/`hosts_preset`
    are for a sandbox that drops the program to a uid of its own and presets the lab's hosts."""
    argv = ["--lab-dir", lab_dir, "--submission", submission, "--scratch", scratch, "--isolate", isolate,
            "--overrides", json.dumps(request.overrides)]
    if out is not None:
        argv += ["--out", out]
    if student_uid is not None:
        argv += ["--student-uid", str(student_uid)]
    if student_nproc is not None:
        argv += ["--student-nproc", str(student_nproc)]
    if hosts_preset:
        argv.append("--hosts-preset")
    if request.include_hidden:
        argv.append("--include-hidden")
    if request.only:
        argv += ["--only", ",".join(request.only)]
    if request.explain:
        argv.append("--explain")
    if request.progress is not None:
        argv.append("--progress")
    return argv


def batch_session(backend: Backend) -> contextlib.AbstractContextManager[None]:
    """Around many runs from several threads: what the backend does to grade a batch faster (Docker: the next
    container made and started while one runs); nothing for a backend without `batch()`.
    Everything the session made is gone when it exits, also on an exception."""
    session = getattr(backend, "batch", None)
    return session() if callable(session) else contextlib.nullcontext()


def get_backend(name: str, **options: Any) -> Backend:
    if name == "local":
        from grader.backends.local import LocalBackend

        return LocalBackend(**options)
    if name == "docker":
        from grader.backends.docker import DockerBackend

        return DockerBackend(**options)
    raise UsageError(f"unknown backend '{name}': choose one of {', '.join(BACKENDS)}")

