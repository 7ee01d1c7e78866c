"""A submission's clean copy: what the sandbox gets, with a note for everything left out.

Rule: the lab's file is never what gets dropped. The copy holds the lab's file
first, then the other files smallest first while they fit in MAX_BYTES, so a
200 MB data file that sorts before `echo_server.py` costs that file, never
the grade. Everything left out gets a note naming it and why; the notes go
into the student's feedback (Report.warnings). The copy holds only regular
files, so the sandbox's own copy (harness.runner.copy_submission, capped at
more than MAX_BYTES, skipping the same hidden files) takes all of it.

Symbolic links are resolved inside the submission: a link to a file in the
same submission is copied as that file (`echo_server.py -> my_server.py`
grades my_server.py). A link that leads outside it, to a folder, or nowhere is
never followed, and noted. Files are opened with O_NOFOLLOW, so nothing
outside the submission is read.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, replace
from pathlib import Path

from grader.errors import UsageError
from grader.labs import Lab
from grader.results import Report
from grader.submission import shown

MAX_BYTES = 32 << 20  # the whole copy; below harness.runner.COPY_CAP, so the sandbox copies all of it
MAX_FILES = 2000  # files looked at; a node_modules folder should not take minutes
SKIP_PARTS = ("__pycache__",)  # and every hidden name: what the sandbox copy skips too
CHUNK = 1 << 16


@dataclass(frozen=True, slots=True, kw_only=True)
class Intake:
    folder: Path  # the clean copy, holding lab.file
    notes: tuple[str, ...] = ()  # one line per file left out or link not followed, for the feedback


@dataclass(frozen=True, slots=True, kw_only=True)
class _Found:
    rel: str  # path inside the submission, '/'-separated
    real: Path  # the file to read (a link's target inside the submission)
    size: int


def take_in(lab: Lab, source: Path, dest: Path, max_bytes: int = MAX_BYTES) -> Intake:
    """Copy the submission in `source` (a folder holding lab.file, or that file) into `dest` (new)."""
    root = source.resolve()
    notes: list[str] = []
    # A file named on the command line is the user's own choice: followed even when it is a link.
    found = [_regular(source.name, root, notes)] if root.is_file() else _scan(root, notes)
    files = [f for f in found if f is not None]
    main = next((f for f in files if f.rel == lab.file), None)
    if main is None:
        refused = next((n for n in notes if n.startswith(lab.file + ":")), f"no {lab.file} in it")
        raise UsageError(f"{shown(source)}: {refused}")
    if main.size > max_bytes:
        raise UsageError(f"{shown(source)}: {lab.file} is {_mib(main.size)}, more than the {_mib(max_bytes)} a "
                         "submission may hold: is it really the program?")
    chosen, total = [main], main.size
    for f in sorted((f for f in files if f is not main), key=lambda f: (f.size, f.rel)):
        if total + f.size > max_bytes:
            notes.append(f"{f.rel}: left out, it is {_mib(f.size)} and a submission may hold {_mib(max_bytes)} in "
                         f"all ({lab.file} first, then the smaller files). The checks ran without it.")
            continue
        chosen.append(f)
        total += f.size
    try:
        dest.mkdir(parents=True)
        problems = {f.rel: p for f in chosen if (p := _copy(f, dest)) is not None}
    except OSError as exc:
        raise UsageError(f"cannot copy {shown(source)} into the scratch folder {shown(dest)}: {exc.strerror}; "
                         "free some space there, or point TMPDIR at a folder with room") from exc
    if lab.file in problems:
        raise UsageError(f"{shown(source)}: {lab.file} cannot be read ({problems[lab.file]}): fix its permissions")
    notes += [f"{rel}: left out, it cannot be read ({why}). The checks ran without it." for rel, why in problems.items()]
    return Intake(folder=dest, notes=tuple(sorted(notes)))


def with_notes(report: Report, notes: tuple[str, ...]) -> Report:
    """The report with intake's notes first among its warnings (the student reads them before the checks)."""
    return replace(report, warnings=(*notes, *report.warnings)) if notes else report


def _scan(root: Path, notes: list[str]) -> list[_Found | None]:
    out: list[_Found | None] = []
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            notes.append(f"{_rel(root, Path(folder))}/: left out, the folder cannot be read ({exc.strerror}).")
            continue
        for entry in entries:
            path = Path(entry.path)
            rel = _rel(root, path)
            if entry.name.startswith(".") or entry.name in SKIP_PARTS:
                continue
            if len(out) >= MAX_FILES:
                notes.append(f"{rel}: left out with everything after it: more than {MAX_FILES} files.")
                return out
            if entry.is_symlink():
                out.append(_link(root, path, rel, notes))
            elif entry.is_dir(follow_symlinks=False):
                stack.append(path)
            else:
                out.append(_regular(rel, path, notes))
    return out


def _link(root: Path, path: Path, rel: str, notes: list[str]) -> _Found | None:
    """A link to a regular file inside the submission is that file; anything else is noted and left out."""
    target = os.readlink(path)
    real = Path(os.path.realpath(path))
    if not real.is_relative_to(root):
        why = "outside the submission"
    elif not real.exists():
        why = "nothing (a broken link)"
    elif real.is_dir():
        why = "a folder (links to folders are not followed)"
    else:
        return _regular(rel, real, notes)
    notes.append(f"{rel}: a symbolic link to {shown(target)}, which is {why}: not followed, left out. "
                 "Submit the file itself.")
    return None


def _regular(rel: str, path: Path, notes: list[str]) -> _Found | None:
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError as exc:
        notes.append(f"{rel}: left out, it cannot be read ({exc.strerror}).")
        return None
    if not stat.S_ISREG(st.st_mode):
        notes.append(f"{rel}: left out, it is not a regular file.")
        return None
    return _Found(rel=rel, real=path, size=st.st_size)


def _copy(f: _Found, dest: Path) -> str | None:
    """Copy at most f.size bytes (a file that grows meanwhile is cut); the reason if it cannot be read.

    A failure to write the copy is not the student's: it is raised (OSError) for the caller to report.
    """
    target = dest.joinpath(*f.rel.split("/"))
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        src = os.open(f.real, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        return exc.strerror or str(exc)
    problem = None
    try:
        with open(target, "xb") as out:
            left = f.size
            while left > 0:
                try:
                    chunk = os.read(src, min(CHUNK, left))
                except OSError as exc:
                    problem = exc.strerror or str(exc)
                    break
                if not chunk:
                    break
                out.write(chunk)
                left -= len(chunk)
    finally:
        os.close(src)
    if problem is not None:
        target.unlink()
    return problem


def _rel(root: Path, path: Path) -> str:
    return shown(path.relative_to(root).as_posix())


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.1f} MiB" if size >= 1 << 20 else f"{size} bytes"
