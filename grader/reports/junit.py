"""JUnit XML, the format CI services display: truthful for a batch and for a selftest.

Rule: red in a CI report means something is wrong. So

* a batch (`grader grade`) has one testsuite per student: a check the program
  lost is a <failure> whose message is the feedback's first line; grader or
  sandbox trouble, and a student who could not be graded at all, is an
  <error>; the checks not run because the file does not compile are
  <skipped>;
* a selftest has one testsuite per program: for the reference and each
  known-good variant one testcase per check (it must pass), and for a
  known-bad variant ONE testcase, "fails CHECK as declared", which is green
  when the variant fails that check. The variant's other outcomes are not
  claims, so they are not testcases.

The shape follows the JUnit schema that Jenkins and GitHub reporters read
(tests/unit/junit.xsd is written from it; a test validates both files).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from grader.results import CheckResult, Report

if TYPE_CHECKING:
    from grader.reports.gradebook import Entry
    from grader.selftest import Verdict

LOST = ("failed", "timeout", "crashed")
MESSAGE_CHARS = 300


def first_line(text: str, fallback: str) -> str:
    """The feedback's first non-empty line, shortened: what a CI summary shows."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "") or fallback
    return line if len(line) <= MESSAGE_CHARS else line[:MESSAGE_CHARS - 3] + "..."


class _Suite:
    """One <testsuite> whose counters are kept in step with the cases added to it."""

    def __init__(self, root: ET.Element, name: str, time: float) -> None:
        self.element = ET.SubElement(root, "testsuite", name=name, time=f"{time:.3f}")
        self.counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}

    def case(self, classname: str, name: str, time: float = 0.0, *, kind: str | None = None,
             message: str = "", text: str = "") -> None:
        case = ET.SubElement(self.element, "testcase", classname=classname, name=name, time=f"{time:.3f}")
        self.counts["tests"] += 1
        if kind is not None:
            ET.SubElement(case, kind, message=message).text = text
            self.counts[{"failure": "failures", "error": "errors", "skipped": "skipped"}[kind]] += 1

    def close(self) -> None:
        for key, value in self.counts.items():
            self.element.set(key, str(value))


def _not_compiled(report: Report) -> bool:
    return any(t.name == "compiles" and t.outcome in LOST for t in report.tests)


def _check_case(suite: _Suite, classname: str, t: CheckResult, skipped_after_compile: bool) -> None:
    if t.outcome == "passed":
        suite.case(classname, t.name, t.duration)
    elif t.outcome == "error":
        suite.case(classname, t.name, t.duration, kind="error", text=t.output,
                   message=first_line(t.output, "grader or sandbox error"))
    elif skipped_after_compile and t.name != "compiles":
        suite.case(classname, t.name, t.duration, kind="skipped",
                   message="not run: the file does not compile (see the check 'compiles')")
    else:
        suite.case(classname, t.name, t.duration, kind="failure", text=t.output,
                   message=f"{t.outcome}: {first_line(t.output, t.outcome)}")


def _document(root: ET.Element) -> bytes:
    ET.indent(root)
    text: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return text


def batch_junit(lab: str, entries: Iterable[Entry]) -> bytes:
    """junit.xml of a `grader grade` output folder: every student, graded or not."""
    root = ET.Element("testsuites", name=lab)
    for e in sorted(entries, key=lambda e: e.student):
        report = e.report
        suite = _Suite(root, e.student, report.execution_time if report else 0.0)
        if report is None:
            suite.case(f"{lab}.{e.student}", "graded", kind="error", message=first_line(e.status, "not graded"),
                       text=e.status)
        else:
            skipped = _not_compiled(report)
            for t in report.tests:
                _check_case(suite, f"{lab}.{e.student}", t, skipped)
        suite.close()
    return _document(root)


def selftest_junit(verdicts: Sequence[Verdict], runs: int = 1) -> bytes:
    """junit.xml of `grader selftest`: 0 failures exactly when selftest passes."""
    root = ET.Element("testsuites", name="selftest")
    per_run = len(verdicts) // max(1, runs)
    for i, v in enumerate(verdicts):
        label = v.subject.label + (f"#{i // per_run + 1}" if runs > 1 else "")
        suite = _Suite(root, label, v.report.execution_time)
        classname = label.replace("/", ".")
        if v.report.has_error or v.subject.fails is None:
            for t in v.report.tests:
                _check_case(suite, classname, t, False)
        elif v.ok:
            suite.case(classname, f"fails {v.subject.fails} as declared", v.report.execution_time)
        else:
            suite.case(classname, f"fails {v.subject.fails} as declared", v.report.execution_time,
                       kind="failure", message=first_line(v.why, "did not fail as declared"), text=v.why)
        suite.close()
    return _document(root)
