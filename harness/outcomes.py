"""The closed set of check outcomes and the exceptions that produce them.

    passed    the check's assertions held
    failed    the program misbehaved          <- CheckFailed, AssertionError
    timeout   no answer by the deadline       <- CheckTimeout
    crashed   did not start, or died          <- ProgramCrashed
    error     our fault: harness or sandbox   <- anything else

An `error` is never scored as the student's zero: the orchestrator reports it
as infrastructure trouble and retries it.
"""

from __future__ import annotations

from harness.schema import OUTCOMES, Outcome

__all__ = ["OUTCOMES", "CheckFailed", "CheckTimeout", "HarnessError", "Outcome", "ProgramCrashed",
           "outcome_of"]


class CheckFailed(AssertionError):
    """The student's program did something other than what the lab asks."""

    outcome: Outcome = "failed"
    proof: object | None = None  # a harness.never_ready.Proof that the next start fails the same way


class CheckTimeout(CheckFailed):
    outcome: Outcome = "timeout"


class ProgramCrashed(CheckFailed):
    outcome: Outcome = "crashed"


class HarnessError(Exception):
    """Our own precondition broke (e.g. the TIME_WAIT trap was not armed)."""


def outcome_of(exc: BaseException | None) -> Outcome:
    if exc is None:
        return "passed"
    if isinstance(exc, CheckFailed):
        return exc.outcome
    if isinstance(exc, AssertionError):
        return "failed"
    if type(exc).__name__ == "Failed" and "Timeout" in str(exc):
        return "timeout"  # pytest-timeout's safety net fired: the program hung
    return "error"
