import json

import pytest

from grader.results import MAX_DOCUMENT, MalformedResult, error_report, parse_report


def doc(**over):
    test = {"name": "echo_short", "score": 2, "max_score": 2, "status": "passed", "output": "",
            "visibility": "visible", "extra_data": {"outcome": "passed", "duration": 0.1}}
    test.update(over)
    return json.dumps({"score": test["score"], "execution_time": 1.0, "tests": [test],
                       "extra_data": {"schema_version": 2, "lab": "tcp_echo", "max_score": test["max_score"],
                                      "isolated": True, "warnings": ["w"]}})


def test_round_trip():
    report = parse_report(doc(), "tcp_echo")
    assert report.score == 2 and report.all_passed and report.warnings == ("w",)
    again = parse_report(json.dumps(report.to_json()), "tcp_echo")
    assert again == report


@pytest.mark.parametrize("over, problem", [
    ({"score": 3}, "does not match"),  # more than the maximum: a forged score
    ({"score": 2, "extra_data": {"outcome": "failed"}}, "does not match"),
    ({"extra_data": {"outcome": "great"}}, "bad outcome"),
    ({"score": "2"}, "not a number"),
    ({"score": float("nan")}, "not a number"),
    ({"name": ""}, "bad test name"),
    ({"visibility": "public"}, "bad visibility"),
])
def test_malformed_entries_are_rejected(over, problem):
    with pytest.raises(MalformedResult, match=problem):
        parse_report(doc(**over), "tcp_echo")


def test_not_json_wrong_lab_and_too_large():
    with pytest.raises(MalformedResult, match="not JSON"):
        parse_report("{", "tcp_echo")
    with pytest.raises(MalformedResult, match="for lab"):
        parse_report(doc(), "hello")
    with pytest.raises(MalformedResult, match="too large"):
        parse_report(" " * (MAX_DOCUMENT + 1), "tcp_echo")


def test_failed_check_with_zero_points_is_valid():
    report = parse_report(doc(score=0, max_score=0, extra_data={"outcome": "failed"}), "tcp_echo")
    assert not report.all_passed


def test_error_report_is_not_a_score():
    report = error_report("tcp_echo", "engine down")
    assert report.has_error and report.max_score == 0
    assert report.to_json()["tests"][0]["extra_data"]["outcome"] == "error"
