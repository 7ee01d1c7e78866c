"""Files that are either absent, the old version or the new one: never half-written.

Rule: every file the grader leaves as output (the batch folder, the HTML
report, the exported zip, results.json inside Gradescope) is written here: to a
hidden temporary file in the same folder, flushed to disk, then renamed over
the target with os.replace (atomic on POSIX). A failed write (disk full,
read-only, no such folder) removes its temporary file and raises OutputError
naming the target and what to do; the old version of the target is untouched.
Only a process killed at the worst moment leaves a `.*.tmp` file behind, which
sweep_temp removes at the next run.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from grader.errors import output_error

TEMP_SUFFIX = ".tmp"


def write_atomic(path: Path, data: bytes | str, *, make_parents: bool = True) -> None:
    """Replace `path` with `data` all at once; OutputError (nothing changed, no temporary left) if it cannot."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    tmp: str | None = None
    try:
        if make_parents:
            path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        if isinstance(exc, OSError):
            raise output_error(path, exc) from exc
        raise


def sweep_temp(folder: Path) -> int:
    """Remove temporary files a killed run left in `folder` and its sub-folders (one level)."""
    removed = 0
    for pattern in (f".*{TEMP_SUFFIX}", f"*/.*{TEMP_SUFFIX}"):
        for leftover in folder.glob(pattern):
            try:
                leftover.unlink()
                removed += 1
            except OSError:
                pass
    return removed
