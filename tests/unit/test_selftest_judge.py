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
