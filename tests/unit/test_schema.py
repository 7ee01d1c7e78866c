"""harness.schema: the one format of the results document, on both sides of the seam."""

from __future__ import annotations

import json
import time

from harness import runner, schema
from harness.schema import CheckResult, Report


def test_the_runners_document_parses_back_to_the_same_report() -> None:
    tests = [runner.compiles_result("echo_server.py", None),
             CheckResult(name="echo_short", score=2.0, max_score=2.0, outcome="passed", duration=0.25),
             CheckResult(name="echo_large", score=0.0, max_score=3.0, outcome="timeout", output="no echo",
                         visibility="after_published")]
    doc = runner.document("tcp_echo", tests, time.monotonic(), ["a warning"], True, "pidns")
    back = Report.from_text(doc.to_text(), "tcp_echo")
    assert back == doc
    raw = json.loads(doc.to_text())
    assert list(raw) == ["score", "execution_time", "output", "output_format", "stdout_visibility", "tests",
                         "extra_data"]
    assert raw["extra_data"] == {"schema_version": schema.SCHEMA_VERSION, "lab": "tcp_echo", "max_score": 5.0,
                                 "isolated": True, "containment": "pidns", "warnings": ["a warning"]}
    assert [t["status"] for t in raw["tests"]] == ["passed", "passed", "failed"]


def test_status_is_passed_only_for_passed() -> None:
    assert [schema.status_of(o) for o in schema.OUTCOMES] == ["passed", "failed", "failed", "failed", "failed"]


def test_feedback_cap_is_one_cap_and_idempotent() -> None:
    long = "h" * 50_000 + "t" * 50_000
    capped = schema.cap_feedback(long)
    assert len(capped) <= schema.FEEDBACK_CAP and capped.startswith("h") and capped.endswith("t")
    assert schema.cap_feedback(capped) == capped
    entry = CheckResult(name="x", score=0.0, max_score=1.0, outcome="failed", output=long).to_json()
    assert CheckResult.from_json(entry).output == capped  # the parser applies the same cap
    doc = runner.document("lab", [CheckResult(name="x", score=0.0, max_score=1.0, outcome="failed", output=long)],
                          time.monotonic(), [], False, "group")
    assert doc.tests[0].output == capped  # and so does the builder, in every sandbox


def test_progress_lines_round_trip_and_reject_noise() -> None:
    line = schema.progress_line({"event": "start", "check": "echo_short"}).encode()
    assert schema.parse_progress(line) == {"event": "start", "check": "echo_short"}
    assert schema.parse_progress(b"a student's print\n") is None
    assert schema.parse_progress(schema.PROGRESS_PREFIX.encode() + b"[1, 2]\n") is None
    assert schema.parse_progress(schema.PROGRESS_PREFIX.encode() + b"{not json\n") is None
