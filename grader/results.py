"""The result model: one document per graded submission (Gradescope's results.json shape).

Rule: a document that comes back from a sandbox is untrusted text. It is
size-capped, parsed as JSON, and every field is checked; anything malformed
becomes an `error` result (infrastructure trouble), never a score.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from harness.outcomes import OUTCOMES, Outcome

SCHEMA_VERSION = 1
MAX_DOCUMENT = 8 << 20  # bytes
MAX_OUTPUT = 64 << 10  # characters of feedback kept per check


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    name: str
    score: float
    max_score: float
    outcome: Outcome
    output: str = ""
    visibility: str = "visible"
    duration: float = 0.0

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "score": self.score, "max_score": self.max_score,
            "status": "passed" if self.passed else "failed", "output": self.output,
            "visibility": self.visibility,
            "extra_data": {"outcome": self.outcome, "duration": self.duration},
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    lab: str
    tests: tuple[CheckResult, ...]
    execution_time: float = 0.0
    warnings: tuple[str, ...] = ()
    sandbox: dict[str, Any] = field(default_factory=dict)

    @property
    def score(self) -> float:
        return sum(t.score for t in self.tests)

    @property
    def max_score(self) -> float:
        return sum(t.max_score for t in self.tests)

    @property
    def has_error(self) -> bool:
        return any(t.outcome == "error" for t in self.tests)

    @property
    def all_passed(self) -> bool:
        return all(t.passed for t in self.tests)

    def outcomes(self) -> dict[str, str]:
        return {t.name: t.outcome for t in self.tests}

    def to_json(self) -> dict[str, Any]:
        """Gradescope results.json, plus our extra_data."""
        return {
            "schema_version": SCHEMA_VERSION,
            "lab": self.lab,
            "score": self.score,
            "max_score": self.max_score,
            "execution_time": self.execution_time,
            "output": "\n".join(self.warnings),
            "tests": [t.to_json() for t in self.tests],
            "extra_data": {**self.sandbox, "warnings": list(self.warnings)},
        }


class MalformedResult(ValueError):
    pass


def error_report(lab: str, message: str, execution_time: float = 0.0) -> Report:
    """A report meaning 'we could not grade this' (never a zero)."""
    return Report(lab=lab, execution_time=execution_time, tests=(CheckResult(
        name="sandbox", score=0.0, max_score=0.0, outcome="error",
        output="The grader could not run the checks (not the submission's fault):\n" + message),))


def parse_report(text: str | bytes, lab: str) -> Report:
    """Parse an untrusted results document; MalformedResult if it is not one."""
    if len(text) > MAX_DOCUMENT:
        raise MalformedResult(f"results document too large ({len(text)} bytes)")
    try:
        doc = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedResult(f"results document is not JSON: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("tests"), list):
        raise MalformedResult("results document has no tests[] list")
    if doc.get("schema_version") != SCHEMA_VERSION:
        raise MalformedResult(f"results document has schema_version {doc.get('schema_version')!r}")
    if doc.get("lab") != lab:
        raise MalformedResult(f"results document is for lab {doc.get('lab')!r}, expected {lab!r}")
    tests = tuple(_check(t) for t in doc["tests"])
    extra = doc.get("extra_data") if isinstance(doc.get("extra_data"), dict) else {}
    warnings = tuple(str(w)[:2000] for w in extra.get("warnings", []) if isinstance(w, str))[:20]
    sandbox = {k: extra[k] for k in ("isolated", "containment", "backend") if k in extra
               and isinstance(extra[k], (str, bool))}
    return Report(lab=lab, tests=tests, execution_time=_number(doc.get("execution_time", 0.0), "execution_time"),
                  warnings=warnings, sandbox=sandbox)


def _check(t: Any) -> CheckResult:
    if not isinstance(t, dict):
        raise MalformedResult("a test entry is not an object")
    name, output = t.get("name"), t.get("output", "")
    extra = t.get("extra_data") if isinstance(t.get("extra_data"), dict) else {}
    outcome = extra.get("outcome")
    if not isinstance(name, str) or not name or len(name) > 200:
        raise MalformedResult(f"bad test name {name!r}")
    if outcome not in OUTCOMES:
        raise MalformedResult(f"test {name}: bad outcome {outcome!r}")
    if not isinstance(output, str):
        raise MalformedResult(f"test {name}: output is not text")
    score, max_score = _number(t.get("score"), "score"), _number(t.get("max_score"), "max_score")
    if not 0 <= score <= max_score or (score == max_score if outcome == "passed" else score == 0) is False:
        raise MalformedResult(f"test {name}: score {score} of {max_score} does not match outcome {outcome}")
    visibility = t.get("visibility", "visible")
    if visibility not in ("visible", "hidden", "after_due_date", "after_published"):
        raise MalformedResult(f"test {name}: bad visibility {visibility!r}")
    if len(output) > MAX_OUTPUT:
        output = output[:MAX_OUTPUT] + "\n... (feedback truncated)"
    return CheckResult(name=name, score=score, max_score=max_score, outcome=outcome, output=output,
                       visibility=visibility, duration=_number(extra.get("duration", 0.0), "duration"))


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise MalformedResult(f"{what} is not a number: {value!r}")
    return float(value)
