"""The class report: one self-contained HTML file an instructor opens from disk.

    write_report(out_dir) -> out_dir/report.html

Rule: the file needs nothing but itself. No script, no network, no external
asset: the CSS is inline and the plots are inline SVG drawn by matplotlib (its
SVG backend, text kept as text). Every student-supplied string (names, program
output in transcripts) is HTML-escaped; nothing from a results file is trusted
as markup.

Input is a `grader grade` output folder: the per-student `results.json`
(parsed with grader.results.parse_report, untrusted) and, when present,
`summary.json`, whose class numbers (graded count, score statistics, histogram
bands, checks passed) are shown as they are, so the page and the summary never
disagree. Without a summary the same numbers are computed from the results.
"""

from __future__ import annotations

import html
import io
import json
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.atomic import write_atomic
from grader.errors import UsageError
from grader.late import penalized
from grader.reports.gradebook import histogram, pass_counts
from grader.results import MalformedResult, Report, parse_report
from grader.slugs import student_slug

REPORT_NAME = "report.html"
SLOWEST = 10  # submissions listed under "slowest"
BANDS = 5  # histogram bands when there is no summary.json


@dataclass(frozen=True, slots=True, kw_only=True)
class Student:
    name: str
    anchor: str
    report: Report | None  # None: results.json unreadable
    score: float | None  # after any late penalty; None when not graded
    penalty: float = 0.0
    problem: str = ""  # why there is no usable report

    @property
    def status(self) -> str:
        if self.report is None:
            return "unreadable"
        if self.report.has_error:
            return "error"
        return "full marks" if self.report.all_passed else "lost points"


def write_report(out_dir: Path, target: Path | None = None) -> Path:
    """Render the report of a `grader grade` output folder; return the file written."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise UsageError(f"{out_dir}: no such folder (pass the --out folder of `grader grade`)")
    summary = _read_summary(out_dir)
    students = read_students(out_dir, summary)
    if not students and summary is None:
        raise UsageError(f"{out_dir}: no <student>/results.json and no summary.json: is it the --out folder "
                         "of `grader grade`?")
    if target is not None and target.is_dir():  # like cp: a folder given as -o gets report.html inside it
        target = target / REPORT_NAME
    path = target or out_dir / REPORT_NAME
    write_atomic(path, render(students, summary, title=_lab_name(students, summary)), make_parents=target is None)
    return path


# --------------------------------------------------------------------------- input


def _read_summary(out_dir: Path) -> dict[str, Any] | None:
    path = out_dir / "summary.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: not readable as JSON: {exc}") from exc
    return doc if isinstance(doc, dict) else None


def read_students(out_dir: Path, summary: dict[str, Any] | None) -> list[Student]:
    """One Student per `<dir>/results.json`, sorted by name."""
    lab = summary.get("lab") if summary else None
    late = summary.get("late", {}) if summary else {}
    found = []
    used: set[str] = set()
    for path in sorted(out_dir.glob("*/results.json")):
        raw = path.read_bytes()
        recorded = _student_name(raw)
        if recorded is not None and student_slug(recorded) != path.parent.name:
            continue  # an older grader's folder for this student (its names were not collision-proof)
        name = recorded or path.parent.name
        anchor = _anchor(name, used)
        try:
            report = parse_report(raw, lab if isinstance(lab, str) else _doc_lab(raw))
        except MalformedResult as exc:
            found.append(Student(name=name, anchor=anchor, report=None, score=None, problem=str(exc)))
            continue
        penalty = 0.0
        if isinstance(late, dict) and isinstance(late.get(name), dict):
            value = late[name].get("penalty_percent", 0.0)
            penalty = float(value) if isinstance(value, (int, float)) else 0.0
        score = None if report.has_error else penalized(report.score, penalty)
        found.append(Student(name=name, anchor=anchor, report=report, score=score, penalty=penalty))
    return sorted(found, key=lambda s: s.name.lower())


def _student_name(raw: bytes) -> str | None:
    try:
        name = json.loads(raw)["extra_data"]["batch"]["student"]
    except (ValueError, KeyError, TypeError):
        return None
    return name if isinstance(name, str) and name else None


def _doc_lab(raw: bytes) -> str:
    try:
        lab = json.loads(raw).get("extra_data", {}).get("lab")
    except (ValueError, AttributeError):
        return ""
    return lab if isinstance(lab, str) else ""


def _anchor(name: str, used: set[str]) -> str:
    base = "student-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-").lower() or "x")
    anchor, n = base, 2
    while anchor in used:
        anchor, n = f"{base}-{n}", n + 1
    used.add(anchor)
    return anchor


def _lab_name(students: Sequence[Student], summary: dict[str, Any] | None) -> str:
    if summary and isinstance(summary.get("lab"), str):
        return str(summary["lab"])
    return next((s.report.lab for s in students if s.report is not None), "lab")


# --------------------------------------------------------------------------- class numbers


@dataclass(frozen=True, slots=True, kw_only=True)
class ClassNumbers:
    students: int
    graded: int
    max_score: float
    mean: float | None
    median: float | None
    low: float | None
    high: float | None
    histogram: list[dict[str, Any]]
    checks: dict[str, dict[str, int]]  # name -> {passed, total}
    not_graded: dict[str, str]
    errors: list[str]


def class_numbers(students: Sequence[Student], summary: dict[str, Any] | None) -> ClassNumbers:
    """The summary's numbers when it has them, else the same ones computed from the results."""
    graded = [s for s in students if s.score is not None and s.report is not None]
    scores = [s.score or 0.0 for s in graded]
    max_score = max((s.report.max_score for s in graded if s.report), default=0.0)
    checks = pass_counts(s.report for s in graded if s.report is not None)
    computed = ClassNumbers(
        students=len(students), graded=len(graded), max_score=max_score,
        mean=round(statistics.fmean(scores), 2) if scores else None,
        median=statistics.median(scores) if scores else None,
        low=min(scores, default=None), high=max(scores, default=None),
        histogram=histogram(scores, max_score, BANDS), checks=checks, not_graded={},
        errors=sorted(s.name for s in students if s.report is not None and s.report.has_error))
    if not summary:
        return computed
    sc: dict[str, Any] = summary["scores"] if isinstance(summary.get("scores"), dict) else {}

    def num(value: Any, fallback: float | None) -> float | None:
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else fallback

    raw_checks = summary.get("checks")
    return ClassNumbers(
        students=int(num(summary.get("students"), computed.students) or 0),
        graded=int(num(summary.get("graded"), computed.graded) or 0),
        max_score=num(summary.get("max_score"), computed.max_score) or 0.0,
        mean=num(sc.get("mean"), computed.mean), median=num(sc.get("median"), computed.median),
        low=num(sc.get("min"), computed.low), high=num(sc.get("max"), computed.high),
        histogram=[b for b in sc.get("histogram", computed.histogram) if isinstance(b, dict)],
        checks={str(k): {"passed": int(v.get("passed", 0)), "total": int(v.get("total", 0))}
                for k, v in raw_checks.items() if isinstance(v, dict)} if isinstance(raw_checks, dict)
        else computed.checks,
        not_graded={str(k): str(v) for k, v in summary.get("not_graded", {}).items()}
        if isinstance(summary.get("not_graded"), dict) else {},
        errors=[str(e) for e in summary.get("errors", computed.errors)] if isinstance(summary.get("errors"), list)
        else computed.errors)


# --------------------------------------------------------------------------- plots


def _svg(fig: Any, salt: str) -> str:
    """The figure as an inline <svg> element (no XML prolog), with ids unique to this plot."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    start = text.find("<svg")
    svg = text[start:] if start >= 0 else text
    return svg.replace("<svg ", f'<svg role="img" aria-labelledby="{salt}-title" ', 1).replace(
        ">", f'><title id="{salt}-title">{html.escape(salt.replace("-", " "))}</title>', 1)


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure  # no pyplot: no global state, safe in threads

    fig = Figure(figsize=(width, height), dpi=96)
    fig.patch.set_alpha(0)
    return fig


def histogram_svg(bands: Sequence[dict[str, Any]]) -> str:
    fig = _figure(6.4, 2.8)
    ax = fig.subplots()
    labels = [f"{b['from']:g}" if b["from"] == b["to"] else f"{b['from']:g}–{b['to']:g}" for b in bands]
    counts = [int(b.get("count", 0)) for b in bands]
    colours = ["#c0392b" if i < len(bands) - 1 else "#1e8449" for i in range(len(bands))]
    bars = ax.bar(range(len(bands)), counts, color=colours, width=0.8)
    ax.bar_label(bars, labels=[str(c) for c in counts], padding=2, fontsize=9)
    ax.set_xticks(range(len(bands)), labels, fontsize=9)
    ax.set_xlabel("score (the last bar: full marks)")
    ax.set_ylabel("students")
    ax.set_ylim(0, max(counts, default=0) * 1.18 + 1)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return _svg(fig, "score-histogram")


def pass_rate_svg(checks: dict[str, dict[str, int]]) -> str:
    names = list(checks)
    rates = [100.0 * c["passed"] / c["total"] if c["total"] else 0.0 for c in checks.values()]
    fig = _figure(6.4, 0.32 * len(names) + 0.9)
    ax = fig.subplots()
    y = list(range(len(names)))[::-1]
    bars = ax.barh(y, rates, color=["#1e8449" if r >= 80 else "#d68910" if r >= 50 else "#c0392b" for r in rates],
                   height=0.7)
    ax.bar_label(bars, labels=[f"{r:.0f}%" for r in rates], padding=3, fontsize=8)
    ax.set_yticks(y, names, fontsize=8)
    ax.set_xlim(0, 112)
    ax.set_xlabel("submissions passing (%)")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return _svg(fig, "pass-rate-per-check")


# --------------------------------------------------------------------------- page

CSS = """
:root { --ok: #1e8449; --bad: #c0392b; --warn: #b9770e; --muted: #5d6d7e; --line: #d5d8dc; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       margin: 0 auto; max-width: 72rem; padding: 1.5rem; color: #1c2833; background: #fff; }
h1 { margin: 0 0 .2rem; font-size: 1.6rem; } h2 { margin-top: 2.2rem; border-bottom: 2px solid var(--line); }
h3 { margin: 1.6rem 0 .4rem; }
.sub { color: var(--muted); margin: 0 0 1rem; }
.cards { display: flex; flex-wrap: wrap; gap: .8rem; margin: 1rem 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: .6rem 1rem; min-width: 8rem; }
.card b { display: block; font-size: 1.5rem; }
.card span { color: var(--muted); font-size: .85rem; }
.plots { display: grid; grid-template-columns: repeat(auto-fit, minmax(22rem, 1fr)); gap: 1rem; }
.plots figure { margin: 0; } .plots svg { width: 100%; height: auto; }
figcaption { font-weight: 600; margin-bottom: .3rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; font-size: .92rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f4f6f7; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.passed { color: var(--ok); } .failed, .timeout, .crashed { color: var(--bad); } .error { color: var(--warn); }
.tag { display: inline-block; padding: 0 .4rem; border-radius: 4px; font-size: .8rem; background: #eaecee; }
.tag.hidden { background: #fdebd0; }
section.student { border-top: 1px solid var(--line); margin-top: 1.5rem; }
details { margin: .25rem 0; } summary { cursor: pointer; }
pre { background: #f8f9f9; border: 1px solid var(--line); border-radius: 6px; padding: .6rem; overflow-x: auto;
      white-space: pre-wrap; word-break: break-word; font-size: .82rem; }
a { color: #1f618d; } .top { font-size: .85rem; }
footer { margin-top: 3rem; color: var(--muted); font-size: .8rem; }
"""

MARK = {"passed": "✓", "failed": "✗", "timeout": "✗", "crashed": "✗", "error": "!"}


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _pts(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


def render(students: Sequence[Student], summary: dict[str, Any] | None, *, title: str) -> str:
    n = class_numbers(students, summary)
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # Nothing may be fetched: no scripts, and images/styles only from this file.
        ("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
         "img-src data:\">"),
        f"<title>{_e(title)}: class report</title>", f"<style>{CSS}</style>", "</head>", "<body>",
        f'<h1 id="top">{_e(title)}: class report</h1>',
        (f'<p class="sub">{n.graded} of {n.students} students graded'
         + (f" · grader {_e(summary['grader_version'])}" if summary and summary.get("grader_version") else "")
         + "</p>"),
        _cards(n), _plots(n), _checks_table(n), _slowest(students), _failing(students), _not_graded(n, students),
        _students_table(students, n.max_score),
        '<h2 id="students-detail">Each student</h2>',
        *(_student_section(s) for s in students),
        ("<footer>Made by <code>grader report</code> from the results in this folder. "
         "Self-contained: no network, no scripts.</footer>"),
        "</body>", "</html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def _cards(n: ClassNumbers) -> str:
    items = [("students", n.students), ("graded", n.graded), ("max score", _pts(n.max_score)),
             ("mean", _pts(n.mean)), ("median", _pts(n.median)), ("min", _pts(n.low)), ("max", _pts(n.high)),
             ("grader errors", len(n.errors))]
    cards = "".join(f'<div class="card" data-stat="{_e(label)}"><b>{_e(value)}</b><span>{_e(label)}</span></div>'
                    for label, value in items)
    return f'<div class="cards" id="stats">{cards}</div>'


INSTRUCTOR_EXTRA = "pip install 'socklab-grader[instructor]'"


def _plots(n: ClassNumbers) -> str:
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:  # a student-only install: the tables still tell it all
        return f'<p class="note">(The plots need matplotlib: {INSTRUCTOR_EXTRA}.)</p>'
    figures = []
    if n.histogram:
        figures.append(f"<figure><figcaption>Score distribution</figcaption>{histogram_svg(n.histogram)}</figure>")
    if n.checks:
        figures.append(f"<figure><figcaption>Pass rate per check</figcaption>{pass_rate_svg(n.checks)}</figure>")
    return f'<div class="plots">{"".join(figures)}</div>' if figures else ""


def _checks_table(n: ClassNumbers) -> str:
    if not n.checks:
        return ""
    rows = "".join(
        f'<tr data-check="{_e(name)}"><td>{_e(name)}</td><td class="num passed-count">{c["passed"]}</td>'
        f'<td class="num total-count">{c["total"]}</td>'
        f'<td class="num">{(100 * c["passed"] / c["total"]) if c["total"] else 0:.0f}%</td></tr>'
        for name, c in n.checks.items())
    return ('<h2 id="checks">Checks</h2><table id="checks-table"><thead><tr><th>check</th>'
            '<th class="num">passed</th><th class="num">of</th><th class="num">rate</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>")


def _link(s: Student) -> str:
    return f'<a href="#{_e(s.anchor)}">{_e(s.name)}</a>'


def _slowest(students: Sequence[Student]) -> str:
    timed = sorted((s for s in students if s.report is not None), key=lambda s: -(s.report.execution_time
                                                                                    if s.report else 0))[:SLOWEST]
    if not timed:
        return ""
    rows = "".join(f'<tr><td>{_link(s)}</td><td class="num">{s.report.execution_time:.1f} s</td>'
                   f'<td>{_e(_slowest_check(s.report))}</td></tr>' for s in timed if s.report)
    return (f'<h2 id="slowest">Slowest submissions</h2><table id="slowest-table"><thead><tr><th>student</th>'
            f'<th class="num">time</th><th>slowest check</th></tr></thead><tbody>{rows}</tbody></table>')


def _slowest_check(report: Report) -> str:
    if not report.tests:
        return ""
    t = max(report.tests, key=lambda t: t.duration)
    return f"{t.name} ({t.duration:.1f} s, {t.outcome})"


def _failing(students: Sequence[Student]) -> str:
    failing = [s for s in students if s.report is not None and not s.report.has_error and not s.report.all_passed]
    if not failing:
        return '<h2 id="failing">Failing submissions</h2><p>None: every graded submission got full marks.</p>'
    failing.sort(key=lambda s: (s.score or 0.0, s.name.lower()))
    rows = "".join(
        f'<tr><td>{_link(s)}</td><td class="num">{_pts(s.score)} / {_pts(s.report.max_score)}</td>'
        f'<td>{", ".join(_e(t.name) + (f" ({_e(t.outcome)})" if t.outcome != "failed" else "") for t in s.report.tests if not t.passed)}</td></tr>'
        for s in failing if s.report)
    return (f'<h2 id="failing">Failing submissions ({len(failing)})</h2><table id="failing-table"><thead><tr>'
            f'<th>student</th><th class="num">score</th><th>checks lost</th></tr></thead><tbody>{rows}</tbody></table>')


def _not_graded(n: ClassNumbers, students: Sequence[Student]) -> str:
    items = [f"<li>{_e(name)}: {_e(why)}</li>" for name, why in sorted(n.not_graded.items())]
    items += [f"<li>{_link(s)}: grader or sandbox trouble, not graded (rerun <code>grader grade</code> to retry)</li>"
              for s in students if s.status == "error"]
    items += [f"<li>{_link(s)}: results.json unreadable: {_e(s.problem)}</li>" for s in students
              if s.status == "unreadable"]
    if not items:
        return ""
    return f'<h2 id="not-graded">Not graded ({len(items)})</h2><ul>{"".join(items)}</ul>'


def _students_table(students: Sequence[Student], max_score: float) -> str:
    rows = []
    for s in students:
        r = s.report
        lost = ", ".join(_e(t.name) for t in r.tests if not t.passed) if r else ""
        late = f" (−{s.penalty:g}% late)" if s.penalty else ""
        rows.append(
            f'<tr data-student="{_e(s.name)}"><td>{_link(s)}</td>'
            f'<td class="num score">{_pts(s.score)}</td><td class="num">{_pts(r.max_score if r else None)}</td>'
            f'<td>{_e(s.status)}{_e(late)}</td><td class="num">{f"{r.execution_time:.1f} s" if r else "–"}</td>'
            f"<td>{lost}</td></tr>")
    return (f'<h2 id="students">Students ({len(students)})</h2><table id="students-table"><thead><tr>'
            '<th>student</th><th class="num">score</th><th class="num">of</th><th>status</th>'
            f'<th class="num">time</th><th>checks lost</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')


def _student_section(s: Student) -> str:
    head = f'<section class="student" id="{_e(s.anchor)}"><h3>{_e(s.name)}'
    if s.report is None:
        return f"{head}</h3><p class=\"error\">results.json unreadable: {_e(s.problem)}</p></section>"
    r = s.report
    late = f", −{s.penalty:g}% for lateness" if s.penalty else ""
    backend = r.sandbox.get("backend")
    where = f" in the {_e(backend)} sandbox" if isinstance(backend, str) and backend else ""
    out = [f'{head} <span class="tag">{_pts(s.score)} / {r.max_score:g}{_e(late)}</span></h3>',
           f'<p class="top">{r.execution_time:.1f} s{where} · <a href="#students">back to the table</a></p>']
    out += [f'<p class="error">warning: {_e(w)}</p>' for w in r.warnings]
    for t in r.tests:
        hidden = ' <span class="tag hidden">hidden</span>' if t.visibility != "visible" else ""
        points = f"{t.score:g}/{t.max_score:g}" if t.max_score else ""
        label = (f'<span class="{_e(t.outcome)}">{MARK.get(t.outcome, "?")}</span> <b>{_e(t.name)}</b> {points} '
                 f'<span class="{_e(t.outcome)}">{_e(t.outcome)}</span> · {t.duration:.2f} s{hidden}')
        if t.output:
            opened = " open" if not t.passed else ""
            out.append(f"<details{opened}><summary>{label}</summary><pre>{_e(t.output)}</pre></details>")
        else:
            out.append(f"<div>{label}</div>")
    out.append("</section>")
    return "\n".join(out)
