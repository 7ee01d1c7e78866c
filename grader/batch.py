"""Grading a whole class: scheduling over N sandboxes, and resume.

Rule (crash consistency): a student's `results.json` is the ONE record of
their grade. It is written atomically and carries, in `extra_data.batch`, what
it was computed from: the submission's content hash, the lab's checks hash
(the lab folder's files plus the course's point/visibility overrides) and the
grader version. A student counts as done exactly when that file exists,
parses, matches all three and holds no `error` outcome. Everything else in the
output folder (feedback.txt, grades.csv, junit.xml, summary.json) is derived
from those files and rewritten at the end of every run. So a run killed at
any instant, then rerun, grades exactly the students without a valid record
and ends with the same files as a run that was never interrupted.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader import __version__
from grader.atomic import write_atomic
from grader.backends import Backend, RunRequest, batch_session
from grader.intake import with_notes
from grader.labs import Lab
from grader.results import MalformedResult, Report, error_report, parse_report
from grader.roster import Submission
from grader.slugs import student_slug

RECORD = "batch"  # key of the resume record in results.json's extra_data
SKIP_PARTS = ("__pycache__",)
# Sandboxes in parallel per core when neither --jobs nor grader.yml says (`grader selftest` too). A batch
# is CPU-bound once hangs end on proof (harness.stall): measured 2026-12-06 on 2 cores (AMD EPYC), idle,
# the generated class of 100 tcp_echo submissions (bench/classes.py), 0 wrong verdicts at every setting:
#   local   4 jobs 47.8 s, 6 jobs 45.0 s, 8 jobs 50.1 s (the machine's CPU busy throughout: 88-98 CPU-s)
#   Docker  2 jobs 107.6 s, 4 jobs 85.0 s, 6 jobs 93.6 s (166-185 CPU-s: the engine's share is large)
# More jobs than that only share the same two cores more thinly. Determinism at these defaults:
# bench/results/determinism.md (`grader selftest --repeat 20 --load`). On a cgroupfs engine all
# containers share one parent cgroup that weighs as ONE task against everything else on the machine, so
# under others' heavy load (load average ~100) more containers share less CPU each and correct programs
# once timed out (measured 2026-12-02 at 2 per core: 9 wrong of 100): give that cgroup more weight there
# (README, Performance).
JOBS_PER_CORE = {"local": 3, "docker": 2}


def default_jobs(backend: str) -> int:
    return JOBS_PER_CORE.get(backend, 1) * (os.cpu_count() or 1)


def content_hash(folder: Path) -> str:
    """sha256 over the files the sandbox copies (regular, not hidden, not __pycache__), names and bytes."""
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.is_symlink() or not path.is_file() or any(p.startswith(".") or p in SKIP_PARTS for p in rel.parts):
            continue
        h.update(rel.as_posix().encode("utf-8", "surrogateescape") + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def checks_hash(lab: Lab, overrides: dict[str, dict[str, Any]]) -> str:
    """sha256 of what decides a grade besides the submission: the lab's folder and the course's overrides."""
    h = hashlib.sha256(json.dumps(overrides, sort_keys=True).encode())
    h.update(content_hash(lab.directory).encode())
    return h.hexdigest()


def student_dir(out: Path, student: str) -> Path:
    """The student's own folder: never shared with another name (grader.slugs)."""
    return out / student_slug(student)


def record_of(submission: Submission, lab_hash: str) -> dict[str, str]:
    return {"student": submission.student, "submission_sha256": content_hash(submission.folder),
            "checks_sha256": lab_hash, "grader_version": __version__}


def load_result(path: Path, lab: str) -> tuple[Report, dict[str, Any]] | None:
    """A stored result and its resume record, or None when absent or unreadable (then: grade again)."""
    try:
        text = path.read_bytes()
        report = parse_report(text, lab)
        record = json.loads(text)["extra_data"][RECORD]
    except (OSError, MalformedResult, ValueError, KeyError, TypeError):
        return None
    return (report, record) if isinstance(record, dict) else None


def results_document(report: Report, record: dict[str, str], late: dict[str, Any] | None = None) -> bytes:
    """results.json; with `late` (grader.late.late_record) its top-level score is the one after the penalty."""
    doc = report.to_json()
    doc["extra_data"][RECORD] = record
    if late is not None:
        doc["score"] = late["score"]
        doc["extra_data"]["late"] = late
    return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def stamp_lateness(out: Path, lab: str, student: str, late: dict[str, Any] | None) -> None:
    """Rewrite a student's results.json with their lateness, when it is not recorded there yet.

    Lateness is known only once every submission time is (after grading), and the
    resume record does not depend on it, so this rewrite never causes a regrade."""
    path = student_dir(out, student) / "results.json"
    stored = load_result(path, lab)
    if stored is None:
        return
    try:
        current = json.loads(path.read_bytes())["extra_data"].get("late")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        current = None
    if current != late:
        write_atomic(path, results_document(stored[0], stored[1], late))


@contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """One batch run per output folder at a time (the lock dies with the process, even on SIGKILL)."""
    from grader.errors import UsageError, output_error

    try:
        fd = os.open(out / ".grader.lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise output_error(out / ".grader.lock", exc) from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise UsageError(f"{out}: another `grader grade` is writing to this folder; wait for it") from exc
        yield
    finally:
        os.close(fd)


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    todo: list[tuple[Submission, dict[str, str]]]  # (submission, its resume record)
    kept: dict[str, Report]  # student -> stored result, still valid


def plan(lab: Lab, submissions: list[Submission], out: Path, lab_hash: str, *,
         force: bool = False, only: frozenset[str] | None = None) -> Plan:
    todo, kept = [], {}
    for sub in submissions:
        record = record_of(sub, lab_hash)
        stored = load_result(student_dir(out, sub.student) / "results.json", lab.name)
        regrade = force or (only is not None and sub.student in only)
        if stored is not None and not regrade and stored[1] == record and not stored[0].has_error:
            kept[sub.student] = stored[0]
        elif only is None or sub.student in only:
            todo.append((sub, record))
        elif stored is not None:
            kept[sub.student] = stored[0]  # outside --only: left as it is (stale or not)
    return Plan(todo=todo, kept=kept)


OnResult = Callable[[str, Report], None]


def grade_one(lab: Lab, backend: Backend, folder: Path, *, overrides: dict[str, dict[str, Any]],
              deadline: float) -> Report:
    """One submission, as a batch grades it (hidden checks included); a sandbox that blew up is an `error`."""
    started = time.monotonic()
    try:
        return backend.run(RunRequest(lab=lab, submission=folder, include_hidden=True,
                                      overrides=overrides, deadline=deadline))
    except Exception as exc:  # noqa: BLE001 - a sandbox that blew up is an `error` result, retried next run
        return error_report(lab.name, f"{type(exc).__name__}: {exc}", time.monotonic() - started)


def record_result(out: Path, student: str, report: Report, record: dict[str, str]) -> None:
    """The student's one record of their grade (see the rule at the top)."""
    write_atomic(student_dir(out, student) / "results.json", results_document(report, record))


def run(lab: Lab, backend: Backend, todo: list[tuple[Submission, dict[str, str]]], out: Path, jobs: int, *,
        overrides: dict[str, dict[str, Any]], deadline: float, on_result: OnResult) -> dict[str, Report]:
    """Grade `todo` over `jobs` sandboxes; each result is on disk before on_result hears of it."""
    def grade(sub: Submission) -> Report:
        return with_notes(grade_one(lab, backend, sub.folder, overrides=overrides, deadline=deadline), sub.notes)

    results: dict[str, Report] = {}
    pending = list(reversed(todo))
    # The session outlives the pool: every run has returned before its spares and leftovers are removed.
    with batch_session(backend), ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="grade") as pool:
        running: dict[Future[Report], tuple[Submission, dict[str, str]]] = {}
        try:
            while pending or running:
                while pending and len(running) < jobs:  # submit lazily: Ctrl-C leaves no queue behind
                    item = pending.pop()
                    running[pool.submit(grade, item[0])] = item
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    sub, record = running.pop(future)
                    report = future.result()
                    record_result(out, sub.student, report, record)
                    results[sub.student] = report
                    on_result(sub.student, report)
        finally:
            pending.clear()
    return results
