"""What a person reads in the terminal: one line per check, feedback for failures."""

from __future__ import annotations

import os
import sys
from typing import TextIO

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


def render(report: Report, stream: TextIO = sys.stdout, explain: bool = True) -> None:
    w = stream.write
    for warning in report.warnings:
        w(f"warning: {warning}\n")
    for t in report.tests:
        w(check_line(t, stream) + "\n")
        if explain and not t.passed and t.output:
            w("\n".join("    " + line for line in t.output.splitlines()) + "\n\n")
    w(f"\nScore: {report.score:g} / {report.max_score:g}   ({report.execution_time:.1f} s)\n")
    if report.has_error:
        w("Some checks could not run because of a grader or sandbox problem (marked !); "
          "they are not counted against you. Run again, or report it.\n")
    elif not report.all_passed:
        first = next(t for t in report.tests if not t.passed)
        w(f"Next step: fix '{first.name}' first (its feedback is above), then run the check again.\n")
