"""What a person reads in the terminal: one line per check, feedback for failures."""

from __future__ import annotations

import os
import re
import shutil
import sys
import textwrap
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


def width(stream: TextIO) -> int:
    """Columns to wrap at: the terminal's, else $COLUMNS, else 100 (files and pipes)."""
    if stream.isatty():
        return max(40, shutil.get_terminal_size().columns)
    try:
        return max(40, int(os.environ.get("COLUMNS", "")))
    except ValueError:
        return 100


def wrapped(text: str, columns: int, indent: str = "    ") -> str:
    """Each line indented and wrapped at spaces; a continuation keeps the line's own indent plus two.

    Long tokens (a command, a path, a hex run) are never broken: they overflow instead, so what
    the student copies still works. The lines under "Try it yourself:" are commands: never wrapped
    (the terminal soft-wraps them, and copies them back as one line)."""
    out = []
    hint_depth: int | None = None  # the indent of the "Try it yourself:" heading while inside its block
    for line in text.splitlines():
        depth = len(line) - len(line.lstrip())
        if hint_depth is not None and (not line.strip() or depth <= hint_depth):
            hint_depth = None
        if hint_depth is not None:
            out.append(indent + line)
            continue
        if line.strip() == "Try it yourself:":
            hint_depth = depth
        lead = indent + line[:depth]
        room = max(20, columns - len(lead) - 2)
        out += textwrap.wrap(_split_bytes_literals(line.strip(), room), columns, initial_indent=lead, subsequent_indent=lead + "  ",
                             break_long_words=False, break_on_hyphens=False, drop_whitespace=True) or [""]
    return "\n".join(out)


_BYTES_LITERAL = re.compile(r"""(?<!\w)b(['"])(?:\\.|(?!\1)[^\\])*\1""")  # one way to match each character: no backtracking
_ESCAPE = re.compile(r"\\x[0-9a-fA-F]{2}|\\.|.")


def _split_bytes_literals(line: str, room: int) -> str:
    """Each bytes literal wider than `room` as adjacent literals (b'ab' b'cd' is b'abcd' in Python),
    cut between escapes, its spaces written as \\x20, so a transcript's data wraps at the pieces
    and still reads, and copies, as one value."""
    def split(match: re.Match[str]) -> str:
        word = match.group(0)
        if len(word) <= room:
            return word
        quote, pieces, piece = word[1], [], ""
        for found in _ESCAPE.findall(word[2:-1]):
            unit = "\\x20" if found == " " else found
            if piece and len(piece) + len(unit) > room - 3:
                pieces.append(piece)
                piece = ""
            piece += unit
        pieces.append(piece)
        return " ".join(f"b{quote}{p}{quote}" for p in pieces)

    return _BYTES_LITERAL.sub(split, line)


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


#: The transcript note of a check that ended at once on an earlier check's proof (harness.session).
NOT_STARTED_AGAIN = re.compile(r"was not started again: in the check '([^']+)'")


def render(report: Report, stream: TextIO = sys.stdout, shown: set[str] | None = None,
           full_output: bool = False) -> None:
    """The report; checks already in `shown` (printed live) are not listed again."""
    w = stream.write
    columns = width(stream)
    for warning in report.warnings:
        w(wrapped(f"warning: {warning}", columns, indent="") + "\n")
    for t in report.tests:
        if not shown or t.name not in shown:
            w(check_line(t, stream) + "\n")
    told: set[str] = set()
    for t in report.tests:
        if (full_output or not t.passed) and t.output:
            w(f"\n{_mark(stream, t.outcome)} {t.name}\n")
            same = NOT_STARTED_AGAIN.search(t.output)
            if same and same.group(1) in told and not full_output:
                # Failed fast on the proof another check found (harness.never_ready): one line, not its copy.
                w(wrapped(f"Not started again: the same start as in '{same.group(1)}' never got to listen "
                          "(its feedback is above).", columns) + "\n")
                continue
            told.add(t.name)
            w(wrapped(t.output, columns) + "\n")
    w(f"\nScore: {report.score:g} / {report.max_score:g}   ({report.execution_time:.1f} s)\n")
    if report.has_error:
        w(wrapped("Some checks could not run because of a grader or sandbox problem (marked !); "
                  "they are not counted against you. Run again, or report it.", columns, indent="") + "\n")
    elif not report.all_passed:
        first = next(t for t in report.tests if not t.passed)
        w(wrapped(f"Next step: fix '{first.name}' first (its feedback is above), then run the check again.",
                  columns, indent="") + "\n")
