"""Errors and exit codes of the grader.

    GraderError            base: carries an exit code, printed as `error: ...` without traceback
    ├── UsageError         bad command line or bad input (exit 2)
    │   ├── ConfigError    grader.yml / assignment.yml problem, names file and key path
    │   └── OutputError    an output the grader cannot write: names the path and what to do
    └── InfrastructureError  our fault or the sandbox's: never a student's zero (exit 3)
        └── MalformedResult  a sandbox handed back no valid results document (grader.results)
"""

from __future__ import annotations

import difflib
import enum
import errno
import os
from collections.abc import Iterable
from pathlib import Path


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


class OutputError(UsageError):
    """An output (results, report, zip) could not be written: the machine's state, not a grader bug.

    Exit 2 like any bad input: the user frees space or picks a writable place and
    runs again; whatever was written before is still there. `path` and `cause`
    let a command say it again in its own words (output_error's `other`).
    """

    def __init__(self, message: str, *, path: Path, cause: OSError) -> None:
        super().__init__(message)
        self.path, self.cause = path, cause


#: What to do, by the errno an output write failed with; {other} is where else to write.
_OUTPUT_ADVICE = {
    errno.ENOSPC: "the disk is full: free some space there, or {other}; then run the command again",
    errno.EDQUOT: "the disk quota is used up: free some space there, or {other}; then run the command again",
    errno.EFBIG: "the file is larger than this session may write (ulimit -f): raise that limit, or {other}",
    errno.EROFS: "that file system is read-only: {other}",
    errno.EACCES: "no permission to write there: fix its permissions, or {other}",
    errno.EPERM: "no permission to write there: fix its permissions, or {other}",
    errno.ENOENT: "its folder does not exist: create it first, or {other}",
    errno.ENOTDIR: "a part of that path is a file, not a folder: {other}",
    errno.EISDIR: "that is a folder, not a file: {other}",
}


def output_error(path: Path, exc: OSError, *, other: str = "write to another place", then: str = "") -> OutputError:
    """OutputError for `exc`, raised while writing `path`: the path, the reason, what to do (and `then`)."""
    reason = exc.strerror or (os.strerror(exc.errno) if exc.errno else str(exc) or type(exc).__name__)
    advice = _OUTPUT_ADVICE.get(exc.errno or 0, "{other}").format(other=other)
    return OutputError(f"cannot write {path}: {reason}; {advice}" + (f"\n{then}" if then else ""),
                       path=path, cause=exc)


class InfrastructureError(GraderError):
    exit_code = ExitCode.INFRASTRUCTURE


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for the closest choice, or ''."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.5)
    if not close:
        lowered = {c.lower(): c for c in choices}
        close = [lowered[name.lower()]] if name.lower() in lowered else []
    return f" (did you mean '{close[0]}'?)" if close else ""
