"""The worker's side: grade a task with this machine's own checks, or refuse it in one line.

Rule: a worker grades only what it would grade identically to the machine that
sent it. The task names the grader version and the checks hash (the lab's
folder plus the course's overrides) the orchestrator computed; this worker
computes both from its own installation and refuses on any difference, and
refuses a deadline its visibility timeout does not cover (the broker would hand
the task to a second worker while the first still runs it).
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader import __version__, batch
from grader.backends import Backend
from grader.labs import Lab
from grader.scaleout import payload
from grader.scaleout.celery_app import TASK, VISIBILITY_MARGIN, make_app


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerSetup:
    name: str  # Celery node name, e.g. grader@host1
    backend: Backend
    labs: dict[str, Lab]
    visibility_timeout: float


def default_name() -> str:
    return f"grader{os.getpid()}@{socket.gethostname()}"


def mismatch(setup: WorkerSetup, task: payload.Task) -> str | None:
    """Why this worker must not grade `task`, or None."""
    lab = setup.labs.get(task.lab)
    if lab is None:
        return f"this worker's grader {__version__} has no lab {task.lab!r}: install the same grader everywhere"
    ours = batch.checks_hash(lab, task.overrides)
    if task.grader_version != __version__ or task.checks_sha256 != ours:
        return (f"version mismatch: this worker has grader {__version__} with {task.lab} checks {ours[:12]}, "
                f"the task wants grader {task.grader_version} with checks {task.checks_sha256[:12]}; "
                "install the same grader (and labs) on every worker")
    if task.deadline + VISIBILITY_MARGIN > setup.visibility_timeout:
        return (f"the task's deadline {task.deadline:g} s does not fit this worker's visibility timeout "
                f"{setup.visibility_timeout:g} s (it needs {VISIBILITY_MARGIN:g} s to spare); start the worker "
                f"with --visibility-timeout {task.deadline + VISIBILITY_MARGIN:g} or more")
    return None


def grade(setup: WorkerSetup, doc: Any) -> dict[str, Any]:
    """The task body: a reply document (report or refusal), never an exception for a bad task."""
    started = time.monotonic()
    try:
        task = payload.Task.from_json(doc)
        why = mismatch(setup, task)
        if why is not None:
            raise payload.BadTask(why)
        with tempfile.TemporaryDirectory(prefix="grader-worker-") as tmp:
            folder = payload.unpack(task, Path(tmp))
            report = batch.grade_one(setup.labs[task.lab], setup.backend, folder, overrides=task.overrides,
                                     deadline=task.deadline)
    except payload.BadTask as exc:
        student = doc.get("student", "?") if isinstance(doc, dict) else "?"
        log(f"refused {student}: {exc}")
        return payload.refusal(setup.name, str(exc))
    outcome = "ERROR" if report.has_error else f"{report.score:g}/{report.max_score:g}"
    log(f"graded {task.student} ({task.lab}): {outcome} in {time.monotonic() - started:.1f} s")
    return payload.reply(setup.name, report)


def log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def worker_app(url: str, setup: WorkerSetup) -> Any:
    """A Celery app with the grading task bound to this worker's setup."""
    app = make_app(url, visibility_timeout=setup.visibility_timeout)

    @app.task(name=TASK, bind=True)  # type: ignore[untyped-decorator]  # Celery ships no type information
    def grade_task(self: Any, doc: Any) -> dict[str, Any]:
        # A redelivered task whose first run already stored its reply is not graded again.
        done = self.AsyncResult(self.request.id)
        if done.state == "SUCCESS" and isinstance(done.result, dict):
            return done.result
        return grade(setup, doc)

    return app


def run_worker(url: str, setup: WorkerSetup, jobs: int) -> int:
    """Consume tasks until stopped (SIGTERM or Ctrl-C finish the tasks in hand first)."""
    from celery.exceptions import CPendingDeprecationWarning
    from celery.platforms import SecurityWarning

    app = worker_app(url, setup)
    # Celery warns a root worker that a pickle from the broker would run code as root; this app accepts
    # JSON only (celery_app), and the sandbox, not the worker's user, contains the student's code.
    warnings.filterwarnings("ignore", category=SecurityWarning)
    # At every reconnect, Celery announces that 6.0 will cancel the tasks in hand by default; this app
    # says what it wants (celery_app: worker_cancel_long_running_tasks_on_connection_loss). Celery's log
    # set-up puts an "always" filter for that category first and sends warnings to the py.warnings
    # logger, so the announcement is dropped there.
    logging.getLogger("py.warnings").addFilter(
        lambda record: CPendingDeprecationWarning.__name__ not in record.getMessage())
    # Threads, not processes: each slot only waits on a sandbox (a process tree or a container),
    # and a SIGKILLed worker takes its slots with it (the sandboxes die with their parent).
    w = app.Worker(pool_cls="threads", concurrency=jobs, hostname=setup.name, without_mingle=True,
                   without_gossip=True, without_heartbeat=True, loglevel="WARNING", quiet=True,
                   queues=[app.conf.task_default_queue])
    w.start()
    return int(w.exitcode or 0)
