"""The class report: numbers that match summary.json, self-contained, and rendered by a real browser.

The output folder is made the way `grader grade` makes it (results.json per
student via grader.batch.results_document, summary.json via
grader.reports.gradebook.summary) from Report objects, so no grading runs.
The browser tests use Debian's `chromium` in headless mode: `--dump-dom` for
what it rendered, `--enable-logging=stderr` for the console (the page has no
script, so any console line at all is a problem, e.g. a blocked fetch), and
`--screenshot` for a picture kept under tmp_path.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from grader.batch import results_document, student_dir
from grader.reports.gradebook import Entry, summary
from grader.reports.html import REPORT_NAME, write_report
from grader.results import CheckResult, Report

CHECKS = [("compiles", 0.0), ("echo_short", 2.0), ("echo_large", 3.0), ("clients_in_turn", 2.0),
          ("survives_reset", 2.0), ("shutdown_flush", 3.0)]
HIDDEN = {"survives_reset"}
NASTY = "<script>alert('x')</script> Zoë & \"friends\""


def make_report(rng: random.Random, *, error: bool = False, fail: set[str] | None = None) -> Report:
    if error:
        return Report(lab="tcp_echo", execution_time=1.0, tests=(CheckResult(
            name="sandbox", score=0.0, max_score=0.0, outcome="error", output="The grader could not run"),))
    fail = fail if fail is not None else {name for name, pts in CHECKS[1:] if rng.random() < 0.25}
    tests = []
    for name, points in CHECKS:
        outcome = rng.choice(["failed", "failed", "timeout", "crashed"]) if name in fail else "passed"
        output = "A short message comes back unchanged." + (
            "\n\nclient received the wrong bytes:\n  expected b'hello\\n'\n  received b'<b>hello</b>'\n\n"
            "What happened:\n    0.01s client -> sent 6 bytes b'hello\\n'" if outcome != "passed" else "")
        tests.append(CheckResult(name=name, score=0.0 if outcome != "passed" else points, max_score=points,
                                 outcome=outcome, output=output, duration=round(rng.uniform(0.1, 3.0), 2),
                                 visibility="after_published" if name in HIDDEN else "visible"))
    return Report(lab="tcp_echo", tests=tuple(tests), execution_time=round(sum(t.duration for t in tests) + 1, 2),
                  sandbox={"backend": "local"})


def make_class(out: Path, students: int, seed: int = 1, late: bool = True) -> dict[str, Any]:
    """An output folder like `grader grade`'s; returns its summary document."""
    rng = random.Random(seed)
    entries = []
    for i in range(students):
        name = NASTY if i == 3 else f"student_{i:03d}"
        report = make_report(rng, error=(i == 5), fail=set() if i in (0, 1) else None)
        penalty, days = (20.0, 2) if i == 4 and late else (0.0, 0)
        entries.append(Entry(student=name, report=report, status="graded", days_late=days, penalty=penalty))
        record = {"student": name, "submission_sha256": "0" * 64, "checks_sha256": "1" * 64, "grader_version": "t"}
        folder = student_dir(out, name)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "results.json").write_bytes(results_document(report, record))
    entries.append(Entry(student="no_file_student", report=None, status="not graded: no echo_server.py"))
    doc = summary("tcp_echo", entries, {"grader_version": "t"})
    (out / "summary.json").write_text(json.dumps(doc, indent=1))
    return doc


class ReportPage(HTMLParser):
    """The numbers a reader sees: stat cards, the checks table, the students table, section ids."""

    def __init__(self) -> None:
        super().__init__()
        self.stats: dict[str, str] = {}
        self.checks: dict[str, tuple[int, int]] = {}
        self.scores: dict[str, str] = {}
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.svgs = 0
        self._stack: list[tuple[str, dict[str, str | None]]] = []
        self._text: list[str] = []
        self._cells: list[str] = []
        self._row: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "a" and a.get("href"):
            self.links.append(str(a["href"]))
        if tag == "svg":
            self.svgs += 1
        if tag == "tr":
            self._row, self._cells = a, []
        if tag in ("td", "b"):
            self._text = []
        self._stack.append((tag, a))

    def handle_data(self, data: str) -> None:
        self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            open_tag, _ = self._stack.pop()
            if open_tag == tag:
                break
        text = "".join(self._text).strip()
        if tag == "b" and self._stack and self._stack[-1][1].get("data-stat"):
            self.stats[str(self._stack[-1][1]["data-stat"])] = text
        if tag == "td":
            self._cells.append(text)
        if tag == "tr" and self._row is not None:
            if self._row.get("data-check"):
                self.checks[str(self._row["data-check"])] = (int(self._cells[1]), int(self._cells[2]))
            if self._row.get("data-student"):
                self.scores[str(self._row["data-student"])] = self._cells[1]
            self._row = None


def parse(html_text: str) -> ReportPage:
    page = ReportPage()
    page.feed(html_text)
    page.close()
    return page


def fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


def assert_matches_summary(page: ReportPage, doc: dict[str, Any], out: Path) -> None:
    s = doc["scores"]
    assert page.stats == {"students": str(doc["students"]), "graded": str(doc["graded"]),
                          "max score": fmt(doc["max_score"]), "mean": fmt(s["mean"]), "median": fmt(s["median"]),
                          "min": fmt(s["min"]), "max": fmt(s["max"]), "grader errors": str(len(doc["errors"]))}
    assert page.checks == {name: (c["passed"], c["total"]) for name, c in doc["checks"].items()}
    for path in out.glob("*/results.json"):
        stored = json.loads(path.read_text())
        name = stored["extra_data"]["batch"]["student"]
        late = doc["late"].get(name, {}).get("penalty_percent", 0)
        has_error = any(t["extra_data"]["outcome"] == "error" for t in stored["tests"])
        expected = "–" if has_error else f"{round(stored['score'] * (1 - late / 100), 2):g}"
        assert page.scores[name] == expected, name
    for link in page.links:  # every in-page link lands somewhere; nothing points off the page
        assert link.startswith("#") and link[1:] in page.ids, link


def test_numbers_match_the_summary(tmp_path: Path) -> None:
    out = tmp_path / "out"
    doc = make_class(out, 14)
    path = write_report(out)
    assert path == out / REPORT_NAME
    page = parse(path.read_text(encoding="utf-8"))
    assert_matches_summary(page, doc, out)
    assert page.svgs == 2, "a histogram and a pass-rate plot, inline"
    assert len([i for i in page.ids if i.startswith("student-")]) == 14


def test_self_contained_and_escaped(tmp_path: Path) -> None:
    out = tmp_path / "out"
    make_class(out, 6)
    text = write_report(out).read_text(encoding="utf-8")
    lowered = text.lower()
    assert "<script" not in lowered.replace("&lt;script", ""), "no scripts, and student text is escaped"
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text
    assert "&lt;b&gt;hello&lt;/b&gt;" in text, "transcripts are shown as text, not markup"
    for external in ("<link", "src=\"http", "href=\"http", "@import", "url(http"):
        assert external not in lowered
    assert "Content-Security-Policy" in text


def test_without_summary_the_numbers_are_computed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    doc = make_class(out, 10, late=False)  # late penalties are known only from summary.json
    with_summary = parse(write_report(out).read_text(encoding="utf-8"))
    (out / "summary.json").unlink()
    (out / "no_file_student").mkdir(exist_ok=True)  # a folder without results.json is ignored
    without = parse(write_report(out).read_text(encoding="utf-8"))
    # The summary also counts the student with no file; everything else is the same.
    assert int(without.stats["students"]) == doc["students"] - len(doc["not_graded"])
    assert {k: v for k, v in without.stats.items() if k != "students"} == \
           {k: v for k, v in with_summary.stats.items() if k != "students"}
    assert without.checks == with_summary.checks and without.scores == with_summary.scores


def test_unreadable_result_is_listed_not_fatal(tmp_path: Path) -> None:
    out = tmp_path / "out"
    make_class(out, 4)
    (out / "mallory").mkdir()
    (out / "mallory" / "results.json").write_text('{"tests": "not a list"}')
    text = write_report(out).read_text(encoding="utf-8")
    assert "mallory" in text and "results.json unreadable" in text


def test_report_command(tmp_path: Path, grader_cli) -> None:
    out = tmp_path / "out"
    make_class(out, 3)
    code, stdout, err = grader_cli("report", out, "-o", tmp_path / "class.html")
    assert code == 0 and stdout.strip() == str(tmp_path / "class.html") and "wrote" in err
    code, _, err = grader_cli("report", tmp_path / "missing")
    assert code == 2 and err.startswith("error: ") and "Traceback" not in err


def test_render_time_for_100_students(tmp_path: Path) -> None:
    out = tmp_path / "out"
    make_class(out, 100)
    write_report(out)  # warm matplotlib's font cache and imports
    started = time.perf_counter()
    path = write_report(out)
    elapsed = time.perf_counter() - started
    print(f"\nreport for 100 students: {elapsed:.2f} s, {path.stat().st_size // 1024} KiB")
    assert elapsed < 20, f"rendering 100 students took {elapsed:.1f} s"


# --------------------------------------------------------------------------- a real browser


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    message = "chromium is not installed (Debian: apt-get install chromium); CI installs it in .ci/run"
    if os.environ.get("CI"):
        pytest.fail(message)  # CI must run the browser tests, not skip them
    pytest.skip(message)


def chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [binary, "--headless", "--disable-gpu", "--no-first-run", "--disable-extensions",
            "--disable-background-networking", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0"]
    if os.geteuid() == 0:
        argv.append("--no-sandbox")  # chromium refuses to run as root with its own sandbox
    return subprocess.run([*argv, *args], check=False, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def console_lines(stderr: str) -> list[str]:
    """Console messages, CSP violations and failed loads that chromium logs to stderr."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "net::ERR_" in line]


@pytest.fixture(scope="module")
def browser() -> str:
    return chromium_path()


def test_browser_renders_the_numbers_of_the_summary(tmp_path: Path, browser: str) -> None:
    out = tmp_path / "out"
    doc = make_class(out, 24)
    url = write_report(out).resolve().as_uri()
    result = chromium(browser, tmp_path / "profile", "--dump-dom", url)
    assert result.returncode == 0, result.stderr[-2000:]
    assert console_lines(result.stderr) == []
    page = parse(result.stdout)
    assert_matches_summary(page, doc, out)
    assert page.svgs == 2


def test_browser_console_errors_are_caught(tmp_path: Path, browser: str) -> None:
    """The console check itself works: a page that breaks the rules is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" "
                   "content=\"default-src 'none'\"></head><body><img src=\"https://example.invalid/x.png\">"
                   "</body></html>")
    result = chromium(browser, tmp_path / "profile", "--dump-dom", bad.resolve().as_uri())
    assert console_lines(result.stderr), result.stderr[-2000:]


def test_browser_screenshot(tmp_path: Path, browser: str) -> None:
    out = tmp_path / "out"
    make_class(out, 24)
    url = write_report(out).resolve().as_uri()
    shot = tmp_path / "class-report.png"
    result = chromium(browser, tmp_path / "profile", "--hide-scrollbars", "--window-size=1280,1800",
                      f"--screenshot={shot}", url)
    assert result.returncode == 0, result.stderr[-2000:]
    assert console_lines(result.stderr) == []
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000, "a real picture, not a blank page"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 1800)
    print(f"\nscreenshot: {shot}")
