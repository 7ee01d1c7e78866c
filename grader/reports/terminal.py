"""What a person reads in the terminal: one line per check, feedback for failures."""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO

from grader.results import CheckResult, Report

MARK = {"passed": "✓", "failed": "✗", "timeout": "✗", "crashed": "✗", "error": "!"}
COLOUR = {"passed": "32", "failed": "31", "timeout": "31", "crashed": "31", "error": "33"}


def use_colour(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def _paint(text: str, code: str, colour: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if colour else text


def _mark(stream: TextIO, outcome: str) -> str:
    enc = (getattr(stream, "encoding", None) or "ascii").lower()
    mark = MARK[outcome] if "utf" in enc else {"passed": "ok", "error": "!!"}.get(outcome, "XX")
    return _paint(mark, COLOUR[outcome], use_colour(stream))


def check_line(t: CheckResult, stream: TextIO) -> str:
    points = f"{t.score:g}/{t.max_score:g}" if t.max_score else "   "
    label = "" if t.outcome in ("passed", "failed") else f"  [{t.outcome}]"
    return f"{_mark(stream, t.outcome)} {t.name:<28} {points:>7}  {t.duration:5.2f}s{label}"


class LiveChecks:
    """Shows each check as it runs: its name while running, then its mark, points and time."""

    def __init__(self, stream: TextIO = sys.stdout) -> None:
        self.stream = stream
        self.shown: set[str] = set()
        self.tty = stream.isatty()

    def __call__(self, event: dict[str, Any]) -> None:
        name = str(event.get("check", "?"))
        if event.get("event") == "start" and self.tty:
            self.stream.write(f"  {name} ...")
        elif event.get("event") == "done" and str(event.get("outcome")) in MARK:
            t = CheckResult(name=name, score=float(event.get("score", 0)), max_score=float(event.get("max_score", 0)),
                            outcome=event["outcome"], duration=float(event.get("duration", 0)))
            self.stream.write(("\r\033[K" if self.tty else "") + check_line(t, self.stream) + "\n")
            self.shown.add(name)
        self.stream.flush()


def render(report: Report, stream: TextIO = sys.stdout, shown: set[str] | None = None,
           full_output: bool = False) -> None:
    """The report; checks already in `shown` (printed live) are not listed again."""
    w = stream.write
    for warning in report.warnings:
        w(f"warning: {warning}\n")
    for t in report.tests:
        if not shown or t.name not in shown:
            w(check_line(t, stream) + "\n")
    for t in report.tests:
        if (full_output or not t.passed) and t.output:
            w(f"\n{_mark(stream, t.outcome)} {t.name}\n")
            w("\n".join("    " + line for line in t.output.splitlines()) + "\n")
    w(f"\nScore: {report.score:g} / {report.max_score:g}   ({report.execution_time:.1f} s)\n")
    if report.has_error:
        w("Some checks could not run because of a grader or sandbox problem (marked !); "
          "they are not counted against you. Run again, or report it.\n")
    elif not report.all_passed:
        first = next(t for t in report.tests if not t.passed)
        w(f"Next step: fix '{first.name}' first (its feedback is above), then run the check again.\n")
