"""grader.selftest: a grader error is summed up by what was raised, not by the last line of its feedback."""

from __future__ import annotations

from grader.selftest import error_line


def test_a_checks_trouble_is_named_by_the_exception() -> None:
    output = ("A client that aborts its connection (RST) does not stop the server.\n\n"
              "The grader itself ran into trouble here (not your fault); this check will be retried.\n"
              "HarnessError: port 9000 is not free before this check\n  harness/leftovers.py:284 ensure_clean\n\n"
              "Try it yourself:\n  nc 127.0.0.1 9000                 # then: the server must still be there")
    assert error_line(output) == "HarnessError: port 9000 is not free before this check"


def test_a_sandbox_error_is_its_first_line() -> None:
    assert error_line("the sandbox did not finish within 60 s and was killed\n(a hard limit)") == \
        "the sandbox did not finish within 60 s and was killed"
    assert error_line("") == ""


def test_a_changed_outcome_keeps_what_the_check_said_in_each_outcome() -> None:
    from grader.labs import get_lab
    from grader.results import CheckResult, Report
    from grader.selftest import Subject, change_evidence, changed_outcomes, judge

    lab = get_lab("tcp_echo")
    sub = Subject(lab=lab, name="crashes_on_reset", path=lab.reference, fails="survives_reset")

    def run(outcome: str, said: str) -> list:
        check = CheckResult(name="survives_reset", score=2 if outcome == "passed" else 0, max_score=2,
                            outcome=outcome, output=said)
        return [judge(sub, Report(lab="tcp_echo", tests=(check,)))]

    runs = [run("failed", "client B got no answer"), run("passed", "the server met the reset\nand went on"),
            run("failed", "client B got no answer again")]
    assert changed_outcomes(runs) == {"tcp_echo/crashes_on_reset": {"survives_reset": ["failed", "passed", "failed"]}}
    assert change_evidence(runs, "tcp_echo/crashes_on_reset", "survives_reset") == [
        "    run 1, failed:", "      client B got no answer",
        "    run 2, passed:", "      the server met the reset", "      and went on"]


def test_a_known_bad_verdict_gives_its_score() -> None:
    """The score is in every verdict line, so runs of one subject can be compared across sandboxes."""
    from grader.labs import get_lab
    from grader.results import CheckResult, Report
    from grader.selftest import Subject, judge

    lab = get_lab("tcp_echo")
    sub = Subject(lab=lab, name="crashes_on_reset", path=lab.reference, fails="survives_reset")
    checks = (CheckResult(name="echo_short", score=3, max_score=3, outcome="passed", output=""),
              CheckResult(name="survives_reset", score=0, max_score=2, outcome="failed", output="no answer"))
    verdict = judge(sub, Report(lab="tcp_echo", tests=checks))
    assert verdict.ok and verdict.why == "fails survives_reset (failed), 3/5"
