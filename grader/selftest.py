"""`grader selftest`: every reference and known-good variant gets full marks, every known-bad variant fails its check.

With --repeat N it is also the flake hunter: every check's outcome must be the
same in every run, and any that changed is listed with the runs it changed in.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from grader.backends import Backend, RunRequest
from grader.labs import Lab
from grader.results import Report

FAILING = ("failed", "timeout", "crashed")


@dataclass(frozen=True, slots=True, kw_only=True)
class Subject:
    lab: Lab
    name: str  # "reference" or the variant's name
    path: Path
    fails: str | None  # the check a known-bad variant must fail; None for the reference and known-good ones

    @property
    def label(self) -> str:
        return f"{self.lab.name}/{self.name}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    subject: Subject
    report: Report
    ok: bool
    why: str


def subjects(labs: list[Lab]) -> list[Subject]:
    out = []
    for lab in labs:
        out.append(Subject(lab=lab, name="reference", path=lab.reference, fails=None))
        out.extend(Subject(lab=lab, name=v.name, path=v.path, fails=v.fails) for v in lab.variants)
    return out


_RAISED = re.compile(r"^[A-Z]\w*(Error|Exception|Timeout|Crashed|Failed): ")


def error_line(output: str) -> str:
    """The line of an error's feedback that says what went wrong: the exception as raised (a check's
    trouble: its summary, then the exception, then the transcript and how to try it), else the first."""
    lines = output.strip().splitlines() or [""]
    return next((line for line in lines if _RAISED.match(line)), lines[0])[:300]


def judge(subject: Subject, report: Report) -> Verdict:
    if report.has_error:
        errors = [t for t in report.tests if t.outcome == "error"]
        return Verdict(subject=subject, report=report, ok=False, why="grader error: " + error_line(errors[0].output))
    if subject.fails is None:
        if report.all_passed:
            return Verdict(subject=subject, report=report, ok=True, why=f"{report.score:g}/{report.max_score:g}")
        lost = ", ".join(f"{t.name} ({t.outcome})" for t in report.tests if not t.passed)
        who = "the reference" if subject.name == "reference" else "this known-good variant"
        return Verdict(subject=subject, report=report, ok=False, why=f"{who} lost {lost}")
    outcomes = report.outcomes()
    if subject.fails not in outcomes:
        return Verdict(subject=subject, report=report, ok=False,
                       why=f"declares check '{subject.fails}', which the lab does not have")
    outcome = outcomes[subject.fails]
    if outcome in FAILING and report.score < report.max_score:
        return Verdict(subject=subject, report=report, ok=True, why=f"fails {subject.fails} ({outcome}), "
                       f"{report.score:g}/{report.max_score:g}")
    return Verdict(subject=subject, report=report, ok=False,
                   why=f"should fail {subject.fails}, but its outcome was {outcome}")


def run_selftest(labs: list[Lab], backend: Backend, jobs: int, repeat: int = 1,
                 on_verdict: Callable[[int, Verdict], None] | None = None) -> list[list[Verdict]]:
    """All verdicts, one list per repetition."""
    subs = subjects(labs)
    runs: list[list[Verdict]] = []
    for n in range(repeat):
        def one(sub: Subject, n: int = n) -> Verdict:
            report = backend.run(RunRequest(lab=sub.lab, submission=sub.path, include_hidden=True))
            verdict = judge(sub, report)
            if on_verdict:
                on_verdict(n, verdict)
            return verdict

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            runs.append(list(pool.map(one, subs)))
    return runs


def changed_outcomes(runs: list[list[Verdict]]) -> dict[str, dict[str, list[str]]]:
    """{subject label: {check: [outcome in run 1, run 2, ...]}} for checks whose outcome changed."""
    history: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for run in runs:
        for v in run:
            for check, outcome in v.report.outcomes().items():
                history[v.subject.label][check].append(outcome)
    return {label: {c: o for c, o in checks.items() if len(set(o)) > 1}
            for label, checks in history.items() if any(len(set(o)) > 1 for o in checks.values())}


def describe_change(outcomes: list[str]) -> str:
    """'passed in runs 1, 3; failed in run 2': each outcome with the runs it occurred in, commonest first."""
    runs: dict[str, list[int]] = defaultdict(list)
    for n, outcome in enumerate(outcomes, 1):
        runs[outcome].append(n)
    return "; ".join(f"{o} in run{'s' if len(r) > 1 else ''} {', '.join(map(str, r))}"
                     for o, r in sorted(runs.items(), key=lambda item: -len(item[1])))


def change_evidence(runs: list[list[Verdict]], label: str, check: str, lines: int = 15) -> list[str]:
    """What the check said in the first run of each of its outcomes, indented: a changed outcome is explained by
    the runs themselves, not reasoned about afterwards (their reports are gone once the selftest ends)."""
    out: list[str] = []
    seen: set[str] = set()
    for n, run in enumerate(runs, 1):
        for v in run:
            if v.subject.label != label:
                continue
            result = next((t for t in v.report.tests if t.name == check), None)
            if result is None or result.outcome in seen:
                continue
            seen.add(result.outcome)
            said = result.output.strip().splitlines() or ["(no feedback)"]
            out.append(f"    run {n}, {result.outcome}:")
            out.extend(f"      {line}" for line in said[:lines])
            if len(said) > lines:
                out.append(f"      ... ({len(said) - lines} more lines)")
    return out


@contextlib.contextmanager
def cpu_load(processes: int) -> Iterator[None]:
    """Busy-loop processes for the duration (the promise: verdicts do not change under load)."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(processes)]
    if procs:
        print(f"loading {processes} core(s) with busy-loop processes", file=sys.stderr)
    try:
        yield
    finally:
        for p in procs:
            p.kill()
            p.wait()


def print_verdict() -> Callable[[int, Verdict], None]:
    def show(n: int, v: Verdict) -> None:
        stream = sys.stdout  # looked up per call: tests swap sys.stdout
        mark = "ok  " if v.ok else "FAIL"
        prefix = f"[run {n + 1}] " if n else ""
        stream.write(f"{mark} {prefix}{v.subject.label:<40} {v.why}  ({v.report.execution_time:.1f} s)\n")
        stream.flush()
    return show
