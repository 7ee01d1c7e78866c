"""`grader grade`: the instructors' command (batch grading of a whole class).

    grader grade                                   the bundled examples, into ./grader-results
    grader grade LAB SUBMISSIONS --out DIR [--jobs N] [--backend docker|local]
                 [--force] [--only NAME...] [--config grader.yml] [--broker redis://HOST:6379/0]

Progress goes to stderr; the summary table to stdout. Exit status 0 when
every student with a submission was graded, 3 when some ended in grader or
sandbox trouble (listed, and retried by the next run), 2 for bad input.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from grader import __version__
from grader.errors import ExitCode, UsageError, did_you_mean
from grader.paths import data_root

if TYPE_CHECKING:
    from grader.backends import Backend


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    g = sub.add_parser(
        "grade", help="grade a whole class (instructors): parallel, resumable, with a gradebook",
        description="Grade every submission in SUBMISSIONS (a folder with one sub-folder per student, or an LMS "
        ".zip export) in parallel sandboxes. Rerunning resumes: students already graded with the same submission, "
        "checks and grader version are skipped. With no arguments, grades the bundled example class.",
        epilog="exit status: 0 all graded, 2 bad input or configuration, 3 some students hit grader or sandbox "
        "trouble (never counted as a zero; rerun to retry them)", formatter_class=argparse.RawDescriptionHelpFormatter)
    g.add_argument("lab", nargs="?", help="the lab's name (default: the lab of the bundled examples)")
    g.add_argument("submissions", nargs="?", type=Path, help="folder or .zip (default: the bundled examples)")
    g.add_argument("--out", type=Path, help="output folder (default: grader.yml's output, else ./grader-results)")
    g.add_argument("--jobs", type=int, help="sandboxes in parallel (default: grader.yml's jobs, else 2 per core locally, 1 in Docker)")
    g.add_argument("--backend", choices=["docker", "local"],
                   help="sandbox (default: grader.yml's backend, else docker; local must be chosen explicitly)")
    g.add_argument("--accept-weaker-isolation", action="store_true",
                   help="with --backend local: grade even where this machine cannot give the local sandbox "
                        "all of its isolation (the missing parts are printed)")
    g.add_argument("--force", action="store_true", help="regrade everyone, even when a valid result exists")
    g.add_argument("--only", nargs="+", metavar="NAME", help="grade (again) only these students")
    g.add_argument("--config", type=Path, help="course configuration (default: ./grader.yml if present)")
    g.add_argument("--broker", metavar="URL", help="grade on `grader worker` machines through this Redis broker "
                   "(redis://[:PASSWORD@]HOST[:PORT][/DB] or rediss://; default: grader.yml's broker, else here)")


def cmd_grade(args: argparse.Namespace) -> int:
    from grader.config import find_config, load_config
    from grader.labs import all_labs

    labs = all_labs()
    config = load_config(find_config(args.config), labs)  # validated before anything else happens
    lab_name, source = _what_to_grade(args, labs)
    if config.offered is not None and lab_name not in config.offered:
        raise UsageError(f"lab '{lab_name}' is not offered in {config.path}: its labs are "
                         f"{', '.join(config.offered) or 'none'}{did_you_mean(lab_name, config.offered)}")
    lab = labs[lab_name]
    from grader.batch import default_jobs

    jobs = args.jobs if args.jobs is not None else config.jobs or default_jobs(args.backend or config.backend)
    if jobs < 1:
        raise UsageError("--jobs must be at least 1")
    broker = args.broker or config.broker
    backend = None if broker else _backend(args.backend or config.backend, explicit=args.backend is not None,
                                           limits=config.limits, weaker_ok=args.accept_weaker_isolation)
    if backend is not None:
        from grader.backends import parallel_jobs

        jobs, note = parallel_jobs(backend, jobs)
        if note:
            print(note, file=sys.stderr)
    out = args.out or config.output
    _prepare_output(out)
    from grader import archive, batch, roster

    caps = archive.Caps(max_bytes=int(config.limits.get("archive_mb", archive.MAX_BYTES >> 20)) << 20,
                        max_files=int(config.limits.get("archive_files", archive.MAX_FILES)))
    lab_config = config.lab(lab.name)
    overrides = lab_config.overrides()
    from grader.atomic import sweep_temp
    from grader.scratch import owned_scratch, sweep_abandoned

    sweep_abandoned()  # what a killed run left in the temporary folder (never a live run's)
    with owned_scratch("grader-batch-") as work, batch.output_lock(out), _resumable(out):
        sweep_temp(out)
        found = roster.discover(lab, source, work, caps)
        names = {s.student for s in found.submissions}
        only = frozenset(args.only) if args.only else None
        for name in sorted(only or ()):
            if name not in names:
                raise UsageError(f"--only {name}: no such student in {source}{did_you_mean(name, names)}")
        lab_hash = batch.checks_hash(lab, overrides)
        todo = batch.plan(lab, found.submissions, out, lab_hash, force=args.force, only=only)
        sandboxes = f"{jobs} {backend.name} sandbox(es) in parallel" if backend is not None else ""
        where = _broker_text(broker) if broker else sandboxes
        print(f"Grading {lab.name}: {len(found.submissions)} submissions in {source}, {len(todo.todo)} to grade "
              f"({len(todo.kept)} already graded), {where} -> {out}", file=sys.stderr)
        for s in found.skipped:
            print(f"  skipped {s.name}: {s.reason}", file=sys.stderr)
        progress = Progress(len(todo.todo), sys.stderr)
        started = time.monotonic()
        if broker:
            from grader.scaleout.dispatch import grade_via_broker

            fresh = grade_via_broker(lab, todo.todo, out, broker=broker, overrides=overrides, lab_hash=lab_hash,
                                     deadline=config.deadline(lab.name), on_reply=progress.update)
        else:
            assert backend is not None  # no broker: _backend chose one above
            fresh = batch.run(lab, backend, todo.todo, out, jobs, overrides=overrides,
                              deadline=config.deadline(lab.name), on_result=progress.update)
        progress.close()
        reports = {**todo.kept, **fresh}
        times = _submission_times(lab_config, found)
        entries = _entries(found, reports, lab_config.late, times)
        doc = _write_gradebook(lab.name, out, entries, lab_hash, found)
        from grader.reports.html import write_report

        write_report(out)
    print(_final_text(doc, entries, out, time.monotonic() - started, len(fresh)))
    return ExitCode.INFRASTRUCTURE if doc["errors"] else ExitCode.OK


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"grade": cmd_grade}


def _what_to_grade(args: argparse.Namespace, labs: dict[str, Any]) -> tuple[str, Path]:
    if args.lab is None:
        examples = data_root() / "examples"
        offered = sorted(d.name for d in examples.iterdir() if d.is_dir() and d.name in labs) \
            if examples.is_dir() else []
        if not offered:
            raise UsageError("no bundled examples to grade: pass LAB and SUBMISSIONS")
        return offered[0], examples / offered[0]
    if args.lab not in labs:
        raise UsageError(f"unknown lab '{args.lab}'{did_you_mean(args.lab, labs)}; `grader list` shows the labs")
    if args.submissions is None:
        raise UsageError(f"grader grade {args.lab}: which submissions? Pass a folder or a .zip")
    return args.lab, args.submissions


OTHER_OUT = "choose another folder with --out"


def _broker_text(broker: str) -> str:
    from grader.scaleout.celery_app import check_url, redact

    return f"through the broker {redact(check_url(broker))} (each worker's --jobs in parallel)"


def _prepare_output(out: Path) -> None:
    from grader.errors import output_error

    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise output_error(out, exc, other=OTHER_OUT) from exc


@contextlib.contextmanager
def _resumable(out: Path) -> Iterator[None]:
    """An output that fails half-way says what to do, and that nothing written so far is lost."""
    from grader.errors import OutputError, output_error

    try:
        yield
    except OutputError as exc:
        raise output_error(exc.path, exc.cause, other=OTHER_OUT, then=(
            f"Every result written to {out} before this is kept: run the same command again once that is "
            "fixed, and it goes on with the students not graded yet.")) from exc


def _backend(name: str, *, explicit: bool, limits: dict[str, float], weaker_ok: bool = False) -> Backend:
    """The sandbox; docker unless the user asked for local (untrusted code is never run unsandboxed silently)."""
    from grader.backends import get_backend

    if name == "docker":
        reason = _docker_problem()
        if reason is not None:
            raise UsageError(f"batch grading needs the Docker sandbox, which is not usable: {reason}\n"
                             "Fix: start Docker (and build the image), or choose the local sandbox explicitly "
                             "with --backend local (or `backend: local` in grader.yml)")
        from grader.backends.docker import Limits

        return get_backend("docker", deadline=limits.get("deadline"), limits=Limits.from_config(limits))
    if not explicit and name == "local":
        print("note: grading in the local sandbox, as grader.yml says (backend: local)", file=sys.stderr)
    if name == "local":
        from grader.backends.local import isolation_missing

        missing = isolation_missing()
        if missing and not weaker_ok:
            raise UsageError(f"{missing}\nFix: grade with the Docker sandbox (--backend docker), or accept the "
                             "weaker isolation for this class with --accept-weaker-isolation")
        if missing:
            print(f"warning: {missing} (accepted with --accept-weaker-isolation)", file=sys.stderr)
    backend = get_backend(name)  # local: its batch() forks runners from one warm zygote (grader.batch)
    quota_note = getattr(backend, "cpu_quota_note", "")  # the local sandbox without a cpu cgroup (grader.cpu_quota)
    if quota_note:
        print(f"note: {quota_note}", file=sys.stderr)
    return backend


def _docker_problem() -> str | None:
    import importlib.util

    if importlib.util.find_spec("grader.backends.docker") is None:
        return "this grader has no Docker backend yet (grader/backends/docker.py is missing)"
    from grader import docker_engine

    return docker_engine.engine_available()


def _submission_times(lab_config: Any, found: Any) -> dict[str, dt.datetime]:
    from grader import roster

    if lab_config.late is None:
        return {}
    csv_times = roster.read_times(lab_config.submission_times) if lab_config.submission_times else {}
    out = {}
    for sub in found.submissions:
        stamp = roster.time_for(sub.student, csv_times) if csv_times else sub.submitted
        if stamp is not None:
            tz = lab_config.late.due.tzinfo
            out[sub.student] = stamp if stamp.tzinfo else stamp.replace(tzinfo=tz)
    return out


def _entries(found: Any, reports: dict[str, Any], late: Any, times: dict[str, dt.datetime]) -> list[Any]:
    from grader.reports.gradebook import Entry

    entries = []
    for sub in found.submissions:
        report = reports.get(sub.student)
        lms_id = sub.identity.lms_id if sub.identity else ""
        flagged = bool(sub.identity and sub.identity.late)
        if report is None:
            entries.append(Entry(student=sub.student, report=None, status="not graded yet (outside --only)",
                                 lms_id=lms_id))
            continue
        if report.has_error:
            entries.append(Entry(student=sub.student, report=report, lms_id=lms_id,
                                 status="error: grader or sandbox trouble, not graded; rerun to retry"))
            continue
        days, penalty, status = 0, 0.0, "graded"
        if late is not None:
            stamp = times.get(sub.student)
            if stamp is None:
                status = "graded (no submission time known: late policy not applied" + (
                    "; the LMS marked it LATE)" if flagged else ")")
            else:
                days = late.days_late(stamp)
                penalty = late.penalty_percent(days)
                status = f"graded, {days} day(s) late, -{penalty:g}%" if days else "graded"
        elif flagged:
            status = "graded (the LMS marked it LATE; no late policy in grader.yml)"
        entries.append(Entry(student=sub.student, report=report, status=status, days_late=days, penalty=penalty,
                             lms_id=lms_id))
    for s in found.skipped:
        if s.student:
            entries.append(Entry(student=s.name, report=None, status=f"not graded: {s.reason}"))
    return entries


def _write_gradebook(lab: str, out: Path, entries: list[Any], lab_hash: str, found: Any) -> dict[str, Any]:
    from grader.atomic import write_atomic
    from grader.batch import stamp_lateness, student_dir
    from grader.late import late_record
    from grader.reports.gradebook import feedback_text, grades_csv, summary
    from grader.reports.junit import batch_junit

    for e in entries:
        if e.report is not None:
            if e.graded:
                stamp_lateness(out, lab, e.student, late_record(e.days_late, e.penalty, e.report.score)
                               if e.days_late else None)
            write_atomic(student_dir(out, e.student) / "feedback.txt", feedback_text(lab, e))
    doc = summary(lab, entries, {"grader_version": __version__, "checks_sha256": lab_hash,
                                 "skipped": [{"name": s.name, "reason": s.reason} for s in found.skipped]})
    write_atomic(out / "junit.xml", batch_junit(lab, entries))
    write_atomic(out / "summary.json", json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    write_atomic(out / "grades.csv", grades_csv(entries))
    return doc


def _final_text(doc: dict[str, Any], entries: list[Any], out: Path, wall: float, graded_now: int) -> str:
    from grader.reports.gradebook import summary_table

    lines = [summary_table(doc)]
    not_graded = doc["not_graded"]
    if not_graded:
        lines.append(f"not graded ({len(not_graded)}):")
        lines += [f"  {n}: {r}" for n, r in sorted(not_graded.items())]
    if doc["errors"]:
        lines.append(f"GRADER OR SANDBOX TROUBLE ({len(doc['errors'])}), not graded, retried by the next run:")
        for e in entries:
            if e.student in doc["errors"]:
                msg = next(t.output for t in e.report.tests if t.outcome == "error").strip().splitlines()
                lines.append(f"  {e.student}: {msg[-1][:200] if msg else 'error'}")
    lines.append(f"{graded_now} graded in this run ({wall:.1f} s); results in {out}/ "
                 "(report.html, grades.csv, summary.json, junit.xml, <student>/results.json and feedback.txt)")
    return "\n".join(lines)


class Progress:
    """done / total, failures so far, time left: one rewritten line on a terminal, one line per student else."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.stream, self.done, self.lost, self.errors = total, stream, 0, 0, 0
        self.started = time.monotonic()
        self.tty = stream.isatty()

    def update(self, student: str, report: Any, note: str = "") -> None:
        self.done += 1
        self.errors += report.has_error
        self.lost += not report.has_error and not report.all_passed
        elapsed = time.monotonic() - self.started
        left = elapsed / self.done * (self.total - self.done)
        status = (f"[{self.done:>{len(str(self.total))}}/{self.total}] {_count(self.lost, 'student')} lost points, "
                  f"{_count(self.errors, 'grader error')}, ~{_duration(left)} left{', ' + note if note else ''}")
        if self.tty:
            self.stream.write(f"\r\033[K{status}  {student[:30]}")
        else:
            outcome = "ERROR" if report.has_error else f"{report.score:g}/{report.max_score:g}"
            self.stream.write(f"{status}  {student}: {outcome}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self.done:
            self.stream.write("\n")
            self.stream.flush()


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"
