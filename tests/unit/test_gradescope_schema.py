"""Every results.json we write passes a schema written from Gradescope's documented fields.

Gradescope's autograder specification documents these top-level keys: score,
execution_time, output, output_format, test_output_format, test_name_format,
visibility, stdout_visibility, extra_data, tests, leaderboard; and for each
test: score, max_score, status, name, name_format, number, output,
output_format, tags, visibility, extra_data. Formats are text, html,
simple_format, md, ansi; visibilities hidden, after_due_date, after_published,
visible; status passed or failed.
"""

from __future__ import annotations

import json

import jsonschema
import pytest

from grader.export import gradescope_results
from grader.results import CheckResult, Report, error_report, parse_report

FORMATS = ["text", "html", "simple_format", "md", "ansi"]
VISIBILITY = ["hidden", "after_due_date", "after_published", "visible"]
TEST = {
    "type": "object", "additionalProperties": False,
    "required": ["name", "score", "max_score", "status", "output", "visibility"],
    "properties": {
        "score": {"type": "number"}, "max_score": {"type": "number"},
        "status": {"enum": ["passed", "failed"]}, "name": {"type": "string"}, "name_format": {"enum": FORMATS},
        "number": {"type": "string"}, "output": {"type": "string"}, "output_format": {"enum": FORMATS},
        "tags": {"type": "array", "items": {"type": "string"}}, "visibility": {"enum": VISIBILITY},
        "extra_data": {"type": "object"},
    },
}
RESULTS = {
    "type": "object", "additionalProperties": False,
    "required": ["score", "execution_time", "output", "output_format", "stdout_visibility", "tests"],
    "properties": {
        "score": {"type": "number"}, "execution_time": {"type": "number"}, "output": {"type": "string"},
        "output_format": {"enum": FORMATS}, "test_output_format": {"enum": FORMATS},
        "test_name_format": {"enum": FORMATS}, "visibility": {"enum": VISIBILITY},
        "stdout_visibility": {"enum": VISIBILITY}, "extra_data": {"type": "object"},
        "tests": {"type": "array", "items": TEST}, "leaderboard": {"type": "array"},
    },
}


def sample() -> Report:
    return Report(lab="tcp_echo", execution_time=1.2, warnings=("no private network namespace here",),
                  sandbox={"isolated": False, "containment": "group"}, tests=(
                      CheckResult(name="compiles", score=0, max_score=0, outcome="passed"),
                      CheckResult(name="echo_short", score=0, max_score=2, outcome="timeout", output="no echo"),
                      CheckResult(name="survives_reset", score=2, max_score=2, outcome="passed",
                                  visibility="after_published")))


@pytest.mark.parametrize("doc", [
    sample().to_json(),
    error_report("tcp_echo", "engine gone").to_json(),
    gradescope_results(json.dumps(sample().to_json()), "", 1),
    gradescope_results(json.dumps(sample().to_json()), "", 3),
    gradescope_results("", "error: no echo_server.py\n", 2),
    gradescope_results("not json", "Traceback ...\n", 139),
], ids=["check", "error", "autograder", "autograder-trouble", "no-file", "crash"])
def test_results_json_follows_gradescope(doc: dict[str, object]) -> None:
    jsonschema.validate(doc, RESULTS)


def test_sandbox_warnings_are_for_staff_not_students() -> None:
    doc = sample().to_json()
    assert doc["output"] == "" and doc["stdout_visibility"] == "hidden"
    assert doc["extra_data"]["warnings"] == ["no private network namespace here"]


def test_our_metadata_round_trips_through_extra_data() -> None:
    doc = sample().to_json()
    assert {"schema_version", "lab", "max_score"} <= set(doc["extra_data"])
    assert parse_report(json.dumps(doc), "tcp_echo") == sample()
