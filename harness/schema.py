"""The results document: the one format that crosses the sandbox seam.

Rule: this module is the only place that builds a results document (the
harness, inside the sandbox) and the only place that reads one back
(grader.results, outside it). It imports nothing of the project and nothing
outside the standard library, so both sides can import it, and the sandbox
never imports grader.

The document is Gradescope's results.json: its documented top-level keys only
(score, execution_time, output, output_format, stdout_visibility, tests), and
everything of ours under extra_data:

    extra_data   schema_version, lab, max_score, [isolated, containment, backend], warnings
    tests[i]     name, score, max_score, status, output, visibility,
                 extra_data: {outcome, duration}

`status` is Gradescope's two-valued verdict; `outcome` is ours, one of a
closed set (harness.outcomes says which exception gives which). What comes
back from a sandbox is untrusted text: `Report.from_text` caps its size,
checks every field and raises MalformedDocument for anything else; it never
trusts a score that does not match its outcome.

Progress events (check started / finished) travel on the runner's stderr as
lines starting with PROGRESS_PREFIX; `progress_line` writes one,
`parse_progress` reads one back.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Literal

Outcome = Literal["passed", "failed", "timeout", "crashed", "error"]
OUTCOMES: tuple[Outcome, ...] = ("passed", "failed", "timeout", "crashed", "error")
Status = Literal["passed", "failed"]
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")

SCHEMA_VERSION = 2  # 2: metadata moved into extra_data (Gradescope's top-level keys only)
MAX_DOCUMENT = 8 << 20  # bytes of one document; a larger one is refused unread
FEEDBACK_CAP = 32 << 10  # characters of one check's feedback, marker included (cap_feedback)
MAX_NAME = 200  # characters of a check's name
MAX_WARNINGS, MAX_WARNING = 20, 2000  # sandbox warnings kept, characters of each
PROGRESS_PREFIX = "@@grader-progress "
SANDBOX_KEYS = ("isolated", "containment", "backend")  # extra_data keys that describe the sandbox


class MalformedDocument(ValueError):
    """Text that is not a results document of this schema (grader.results wraps it)."""


def status_of(outcome: Outcome) -> Status:
    """Gradescope's status for one of our outcomes: only `passed` passes."""
    return "passed" if outcome == "passed" else "failed"


def cap_feedback(text: str) -> str:
    """At most FEEDBACK_CAP characters: the head and the tail, the middle replaced by a marker.

    Idempotent (a capped text is short enough already), so both sides may apply it:
    a program that prints gigabytes without a newline cannot make a document huge."""
    if len(text) <= FEEDBACK_CAP:
        return text
    half = (FEEDBACK_CAP - 64) // 2  # 64: room for the marker line
    return f"{text[:half]}\n... ({len(text) - 2 * half} characters cut) ...\n{text[-half:]}"


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    """One check's entry in tests[]."""

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
            "status": status_of(self.outcome), "output": self.output, "visibility": self.visibility,
            "extra_data": {"outcome": self.outcome, "duration": self.duration},
        }

    @classmethod
    def from_json(cls, entry: object) -> CheckResult:
        """One untrusted tests[] entry, checked field by field (MalformedDocument)."""
        if not isinstance(entry, dict):
            raise MalformedDocument("a test entry is not an object")
        name, output = entry.get("name"), entry.get("output", "")
        extra = _mapping(entry.get("extra_data"))
        outcome = extra.get("outcome")
        if not isinstance(name, str) or not name or len(name) > MAX_NAME:
            raise MalformedDocument(f"bad test name {name!r}")
        if outcome not in OUTCOMES:
            raise MalformedDocument(f"test {name}: bad outcome {outcome!r}")
        if not isinstance(output, str):
            raise MalformedDocument(f"test {name}: output is not text")
        score, max_score = _number(entry.get("score"), "score"), _number(entry.get("max_score"), "max_score")
        if not 0 <= score <= max_score or score != (max_score if outcome == "passed" else 0):
            raise MalformedDocument(f"test {name}: score {score} of {max_score} does not match outcome {outcome}")
        visibility = entry.get("visibility", "visible")
        if visibility not in VISIBILITIES:
            raise MalformedDocument(f"test {name}: bad visibility {visibility!r}")
        return cls(name=name, score=score, max_score=max_score, outcome=outcome, output=cap_feedback(output),
                   visibility=visibility, duration=_number(extra.get("duration", 0.0), "duration"))


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """One document: every check of one lab on one submission."""

    lab: str
    tests: tuple[CheckResult, ...]
    execution_time: float = 0.0
    warnings: tuple[str, ...] = ()
    sandbox: dict[str, str | bool] = field(default_factory=dict)  # SANDBOX_KEYS only

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
        """Gradescope results.json: only its documented top-level keys; ours (and the sandbox's
        warnings, which are for staff, not students) in extra_data."""
        return {
            "score": self.score,
            "execution_time": self.execution_time,
            "output": "",
            "output_format": "text",
            "stdout_visibility": "hidden",
            "tests": [t.to_json() for t in self.tests],
            "extra_data": {"schema_version": SCHEMA_VERSION, "lab": self.lab, "max_score": self.max_score,
                           **self.sandbox, "warnings": list(self.warnings)},
        }

    def to_text(self, indent: int | None = 1) -> str:
        return json.dumps(self.to_json(), indent=indent)

    @classmethod
    def from_text(cls, text: str | bytes, lab: str) -> Report:
        """Parse an untrusted document for `lab`; MalformedDocument if it is not one."""
        if len(text) > MAX_DOCUMENT:
            raise MalformedDocument(f"results document too large ({len(text)} bytes)")
        try:
            doc = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise MalformedDocument(f"results document is not JSON: {exc}") from exc
        if not isinstance(doc, dict) or not isinstance(doc.get("tests"), list):
            raise MalformedDocument("results document has no tests[] list")
        extra = _mapping(doc.get("extra_data"))
        if extra.get("schema_version") != SCHEMA_VERSION:
            raise MalformedDocument(f"results document has schema_version {extra.get('schema_version')!r}")
        if extra.get("lab") != lab:
            raise MalformedDocument(f"results document is for lab {extra.get('lab')!r}, expected {lab!r}")
        tests = tuple(CheckResult.from_json(t) for t in doc["tests"])
        raw_warnings = extra.get("warnings", [])
        warnings = tuple(w[:MAX_WARNING] for w in (raw_warnings if isinstance(raw_warnings, list) else [])
                         if isinstance(w, str))[:MAX_WARNINGS]
        sandbox = {k: extra[k] for k in SANDBOX_KEYS if isinstance(extra.get(k), (str, bool))}
        return cls(lab=lab, tests=tests, execution_time=_number(doc.get("execution_time", 0.0), "execution_time"),
                   warnings=warnings, sandbox=sandbox)


def _mapping(value: object) -> dict[str, Any]:
    """An object of the document, or an empty one where it holds anything else."""
    return value if isinstance(value, dict) else {}


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise MalformedDocument(f"{what} is not a number: {value!r}")
    return float(value)


def progress_line(event: dict[str, Any]) -> str:
    """One progress event as the line the runner writes on its stderr."""
    return PROGRESS_PREFIX + json.dumps(event) + "\n"


def parse_progress(line: bytes) -> dict[str, Any] | None:
    """The event of a progress line (untrusted: anything else is None)."""
    prefix = PROGRESS_PREFIX.encode()
    if not line.startswith(prefix):
        return None
    try:
        event = json.loads(line[len(prefix):])
    except ValueError:
        return None
    return event if isinstance(event, dict) else None
