"""Finding the lab's file in what the user pointed at, with errors that help."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

from grader.errors import UsageError
from grader.labs import Lab

SEARCH_DEPTH = 3  # folders below the given one searched for the lab's file (zip exports nest)


def shown(path: Path | str) -> str:
    """A path as text that prints safely even when the name is not valid UTF-8."""
    return os.fsencode(str(path)).decode("utf-8", "backslashreplace")


def resolve(lab: Lab, path: Path) -> Path:
    """The folder that holds lab.file, or UsageError saying what is wrong and what to do."""
    if not path.exists():
        raise UsageError(f"{shown(path)}: no such file or folder")
    if path.is_file():
        if path.name == lab.file:
            return path.parent
        raise UsageError(
            f"{shown(path)}: lab {lab.name} expects a file named {lab.file}, not {shown(path.name)}; "
            f"rename it to {lab.file}, or pass the folder that holds it")
    if (path / lab.file).is_file():
        return path
    found = _candidates(path, lab.file)
    if len(found) == 1:
        return found[0].parent
    py_files = sorted(p for p in _walk(path) if p.suffix == ".py")
    if not any(_walk(path)):
        raise UsageError(f"{shown(path)}: the folder is empty; lab {lab.name} expects a file named {lab.file}")
    names = [shown(p.relative_to(path)) for p in py_files][:10]
    close = difflib.get_close_matches(lab.file.lower(), [p.name.lower() for p in py_files], n=1, cutoff=0.6)
    hint = ""
    if close:
        match = shown(next(p for p in py_files if p.name.lower() == close[0]).relative_to(path))
        # With one Python file the listing already names it: say what to do, not "did you mean" it again.
        hint = f": rename it to {lab.file}" if names == [match] else f"; did you mean {match}? Rename it to {lab.file}"
    listing = ", ".join(names) if names else "no Python files"
    if len(found) > 1:
        raise UsageError(f"{shown(path)}: {len(found)} files named {lab.file} found; pass the folder of the one to grade")
    raise UsageError(f"{shown(path)}: lab {lab.name} expects a file named {lab.file}; found {listing}{hint}")


def _walk(path: Path, depth: int = SEARCH_DEPTH) -> list[Path]:
    out: list[Path] = []
    try:
        entries = list(path.iterdir())
    except OSError:
        return out
    for entry in entries:
        if entry.name.startswith(".") or entry.name == "__MACOSX":
            continue
        if entry.is_symlink():  # a link to a file may be the lab's file: grader.intake decides if it is followed
            if entry.is_file():
                out.append(entry)
            continue
        if entry.is_dir() and depth > 0:
            out.extend(_walk(entry, depth - 1))
        elif entry.is_file():
            out.append(entry)
    return out


def _candidates(path: Path, file: str) -> list[Path]:
    return [p for p in _walk(path) if p.name == file]
