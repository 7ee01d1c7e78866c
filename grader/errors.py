"""Errors and exit codes of the grader.

    GraderError            base: carries an exit code, printed as `error: ...` without traceback
    ├── UsageError         bad command line or bad input (exit 2)
    │   └── ConfigError    grader.yml / assignment.yml problem, names file and key path
    └── InfrastructureError  our fault or the sandbox's: never a student's zero (exit 3)
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterable


class ExitCode(enum.IntEnum):
    OK = 0  # every check passed
    CHECKS_FAILED = 1  # the submission lost points
    USAGE = 2  # bad command line or bad input
    INFRASTRUCTURE = 3  # an `error` outcome: harness or sandbox trouble


class GraderError(Exception):
    exit_code = ExitCode.USAGE


class UsageError(GraderError):
    exit_code = ExitCode.USAGE


class ConfigError(UsageError):
    pass


class InfrastructureError(GraderError):
    exit_code = ExitCode.INFRASTRUCTURE


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for the closest choice, or ''."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.5)
    if not close:
        lowered = {c.lower(): c for c in choices}
        close = [lowered[name.lower()]] if name.lower() in lowered else []
    return f" (did you mean '{close[0]}'?)" if close else ""
