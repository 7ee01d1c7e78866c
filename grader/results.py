"""The result model: one document per graded submission (Gradescope's results.json shape).

Rule: a document that comes back from a sandbox is untrusted text. It is read
only through harness.schema (the seam's one format, shared with the sandbox):
size-capped, parsed as JSON, every field checked; anything malformed becomes
an `error` result (infrastructure trouble), never a score.
"""

from __future__ import annotations

from grader.errors import InfrastructureError
from harness.schema import MAX_DOCUMENT, SCHEMA_VERSION, CheckResult, MalformedDocument, Report

__all__ = ["MAX_DOCUMENT", "SCHEMA_VERSION", "CheckResult", "MalformedResult", "Report", "error_report",
           "parse_report"]


class MalformedResult(InfrastructureError, ValueError):
    """A sandbox handed back something that is not a results document (never a student's zero)."""


def error_report(lab: str, message: str, execution_time: float = 0.0) -> Report:
    """A report meaning 'we could not grade this' (never a zero)."""
    return Report(lab=lab, execution_time=execution_time, tests=(CheckResult(
        name="sandbox", score=0.0, max_score=0.0, outcome="error",
        output="The grader could not run the checks (not the submission's fault):\n" + message),))


def parse_report(text: str | bytes, lab: str) -> Report:
    """Parse an untrusted results document; MalformedResult if it is not one."""
    try:
        return Report.from_text(text, lab)
    except MalformedDocument as exc:
        raise MalformedResult(str(exc)) from exc
