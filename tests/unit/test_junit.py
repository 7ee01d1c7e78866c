"""JUnit XML that tells the truth: valid against the schema, red only when something is wrong."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import xmlschema

from grader.labs import get_lab
from grader.reports.gradebook import Entry
from grader.reports.junit import batch_junit, selftest_junit
from grader.results import CheckResult, Report, error_report
from grader.selftest import Subject, judge

SCHEMA = xmlschema.XMLSchema(Path(__file__).with_name("junit.xsd"))
LAB = get_lab("tcp_echo")


def report(**outcomes: str) -> Report:
    tests = [CheckResult(name="compiles", score=0, max_score=0,
                         outcome="failed" if outcomes.get("compiles") == "failed" else "passed")]
    for name in ("echo_short", "survives_reset"):
        outcome = outcomes.get(name, "crashed" if outcomes.get("compiles") == "failed" else "passed")
        tests.append(CheckResult(name=name, score=2 if outcome == "passed" else 0, max_score=2, outcome=outcome,
                                 output="" if outcome == "passed" else f"The server said nothing.\nmore about {name}"))
    return Report(lab="tcp_echo", tests=tuple(tests), execution_time=1.5)


def counts(xml: bytes) -> dict[str, int]:
    SCHEMA.validate(xml.decode())
    root = ET.fromstring(xml)
    return {k: sum(int(s.get(k, 0)) for s in root.findall("testsuite"))
            for k in ("tests", "failures", "errors", "skipped")}


def subject(name: str, fails: str | None) -> Subject:
    return Subject(lab=LAB, name=name, path=LAB.reference, fails=fails)


def test_a_passing_selftest_is_green() -> None:
    verdicts = [judge(subject("reference", None), report()),
                judge(subject("good_style", None), report()),
                judge(subject("crashes_on_reset", "survives_reset"), report(survives_reset="failed")),
                judge(subject("syntax_error", "compiles"), report(compiles="failed"))]
    assert all(v.ok for v in verdicts)
    xml = selftest_junit(verdicts)
    assert counts(xml) == {"tests": 3 + 3 + 1 + 1, "failures": 0, "errors": 0, "skipped": 0}
    names = [c.get("name") for c in ET.fromstring(xml).iter("testcase")]
    assert "fails survives_reset as declared" in names and "fails compiles as declared" in names


def test_a_failing_selftest_is_red_where_it_failed() -> None:
    verdicts = [judge(subject("reference", None), report(echo_short="timeout")),
                judge(subject("crashes_on_reset", "survives_reset"), report())]
    assert not any(v.ok for v in verdicts)
    xml = selftest_junit(verdicts, runs=1)
    assert counts(xml)["failures"] == 2
    failures = [f.get("message") for f in ET.fromstring(xml).iter("failure")]
    assert failures[0] == "timeout: The server said nothing."
    assert "should fail survives_reset" in failures[1]


def test_repeated_selftest_names_each_run() -> None:
    verdicts = [judge(subject("reference", None), report()) for _ in range(2)]
    suites = [s.get("name") for s in ET.fromstring(selftest_junit(verdicts, runs=2)).findall("testsuite")]
    assert suites == ["tcp_echo/reference#1", "tcp_echo/reference#2"]


def test_batch_junit_uses_error_skipped_and_real_messages() -> None:
    entries = [Entry(student="ann", report=report(), status="graded"),
               Entry(student="bob", report=report(survives_reset="failed"), status="graded"),
               Entry(student="cy", report=report(compiles="failed"), status="graded"),
               Entry(student="dee", report=error_report("tcp_echo", "engine gone"), status="error: grader trouble"),
               Entry(student="eve", report=None, status="not graded: no echo_server.py submitted")]
    xml = batch_junit("tcp_echo", entries)
    assert counts(xml) == {"tests": 3 + 3 + 3 + 1 + 1, "failures": 2, "errors": 2, "skipped": 2}
    root = ET.fromstring(xml)
    assert [s.get("name") for s in root.findall("testsuite")] == ["ann", "bob", "cy", "dee", "eve"]
    bob = root.find("testsuite[@name='bob']")
    assert bob is not None
    assert bob.find(".//failure").get("message") == "failed: The server said nothing."  # type: ignore[union-attr]
    eve = root.find("testsuite[@name='eve']")
    assert eve is not None and "no echo_server.py" in eve.find(".//error").get("message")  # type: ignore[union-attr]
