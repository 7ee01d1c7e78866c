"""The class's gradebook: grades.csv, summary.json, feedback.txt and the summary table.

All of it is derived from the per-student results, so it can be rebuilt at
any time and is, at the end of every batch run.

grades.csv (one row per student): `student, lms_id, score, max_score`, one
column per check worth points (points earned), `late_days`, `status`.
`lms_id` is the Canvas user id (or Moodle participant id) read off the LMS
download name, when it carries one. `grader export canvas|moodle` turns this
file into the LMS's own import format.
`score` is after the late penalty. A student who could not be graded (grader
trouble, no file) has EMPTY score and check cells, never a zero: Moodle's and
Canvas's imports leave an empty cell's grade unchanged, while a word like
'error' is rejected or imported as 0. The `status` column says why.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from grader.late import penalized
from grader.reports.terminal import render
from grader.results import Report

Status = str  # "graded", "error", or why a student was not graded
HIDDEN_NOTE = "(hidden check: its details are shared after grades are published)"


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    student: str
    report: Report | None  # None: nothing was graded
    status: Status
    days_late: int = 0
    penalty: float = 0.0  # percent taken off for lateness
    lms_id: str = ""  # from the LMS download name (grader.classlist.Identity)

    @property
    def graded(self) -> bool:
        return self.report is not None and not self.report.has_error

    @property
    def score(self) -> float | None:
        if not self.graded or self.report is None:
            return None
        return penalized(self.report.score, self.penalty)


def check_columns(entries: Sequence[Entry]) -> list[str]:
    """Checks worth points, in the order the lab runs them."""
    seen: dict[str, None] = {}
    for e in entries:
        if e.graded and e.report is not None:
            for t in e.report.tests:
                if t.max_score > 0:
                    seen.setdefault(t.name, None)
    return list(seen)


def _cell(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def grades_csv(entries: Sequence[Entry]) -> str:
    checks = check_columns(entries)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["student", "lms_id", "score", "max_score", *checks, "late_days", "status"])
    for e in sorted(entries, key=lambda e: e.student):
        if e.graded and e.report is not None:
            points = {t.name: f"{t.score:g}" for t in e.report.tests}
            w.writerow([_cell(e.student), e.lms_id, f"{e.score:g}", f"{e.report.max_score:g}",
                        *(points.get(c, "") for c in checks), e.days_late, _cell(e.status)])
        else:
            w.writerow([_cell(e.student), e.lms_id, "", "", *([""] * len(checks)), "", _cell(e.status)])
    return out.getvalue()


class _Text(io.StringIO):
    encoding = "utf-8"  # terminal.render picks its marks by the stream's encoding


def feedback_text(lab: str, e: Entry) -> str:
    """What the student reads: the terminal report without colour, hidden checks' details left out."""
    assert e.report is not None
    shown = replace(e.report, tests=tuple(
        replace(t, output=HIDDEN_NOTE if t.output else "") if t.visibility != "visible" else t
        for t in e.report.tests))
    out = _Text()
    out.write(f"{lab}: feedback for {e.student}\n\n")
    render(shown, out)
    if e.days_late and e.score is not None:
        out.write(f"Submitted {e.days_late} day(s) late: {e.penalty:g}% off, final score {e.score:g} / "
                  f"{e.report.max_score:g}.\n")
    return out.getvalue()


def pass_counts(reports: Iterable[Report]) -> dict[str, dict[str, int]]:
    """{check: {"passed": n, "total": n}} over the reports (the summary's and the HTML report's numbers)."""
    checks: dict[str, dict[str, int]] = {}
    for report in reports:
        for t in report.tests:
            c = checks.setdefault(t.name, {"passed": 0, "total": 0})
            c["total"] += 1
            c["passed"] += t.passed
    return checks


def summary(lab: str, entries: Sequence[Entry], extra: dict[str, Any]) -> dict[str, Any]:
    graded = [e for e in entries if e.graded and e.report is not None]
    scores = [e.score or 0.0 for e in graded]
    max_score = max((e.report.max_score for e in graded if e.report), default=0.0)
    checks = pass_counts(e.report for e in graded if e.report is not None)
    return {
        "lab": lab, **extra,
        "students": len(entries), "graded": len(graded), "max_score": max_score,
        "scores": {"mean": round(statistics.fmean(scores), 2) if scores else None,
                   "median": statistics.median(scores) if scores else None,
                   "min": min(scores, default=None), "max": max(scores, default=None),
                   "histogram": histogram(scores, max_score)},
        "checks": checks,
        "errors": sorted(e.student for e in entries if e.report is not None and e.report.has_error),
        "not_graded": {e.student: e.status for e in entries if e.report is None},
        "late": {e.student: {"days": e.days_late, "penalty_percent": e.penalty} for e in graded if e.days_late},
    }


def histogram(scores: Sequence[float], max_score: float, bins: int = 5) -> list[dict[str, Any]]:
    """Counts per score band of `max_score / bins` points; full marks get a band of their own."""
    if not max_score:
        return []
    width = max_score / bins
    bands = [{"from": round(i * width, 2), "to": round((i + 1) * width, 2), "count": 0} for i in range(bins)]
    full = {"from": max_score, "to": max_score, "count": 0}
    for s in scores:
        if s >= max_score:
            full["count"] += 1
        else:
            bands[min(bins - 1, int(s // width))]["count"] += 1
    return [*bands, full]


def summary_table(doc: dict[str, Any]) -> str:
    """The summary printed at the end of a run: score distribution, then each check's pass count."""
    lines = [f"{doc['graded']} of {doc['students']} students graded"]
    s = doc["scores"]
    if s["mean"] is not None:
        lines.append(f"score: mean {s['mean']:g}, median {s['median']:g}, min {s['min']:g}, max {s['max']:g} "
                     f"(of {doc['max_score']:g})")
        top = max((b["count"] for b in s["histogram"]), default=0) or 1
        for b in s["histogram"]:
            band = f"{b['from']:g}" if b["from"] == b["to"] else f"{b['from']:g}-<{b['to']:g}"
            lines.append(f"  {band:>10}  {'#' * round(30 * b['count'] / top):<30} {b['count']}")
    if doc["checks"]:
        width = max(len(n) for n in doc["checks"])
        lines.append("checks passed:")
        for name, c in doc["checks"].items():
            lines.append(f"  {name:<{width}}  {c['passed']:>4} / {c['total']}")
    return "\n".join(lines) + "\n"
