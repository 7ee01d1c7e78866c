"""Files that are either absent, the old version or the new one: never half-written.

Rule: every file the batch grader leaves in its output folder is written here:
to a hidden temporary file in the same folder, flushed to disk, then renamed
over the target with os.replace (atomic on POSIX). A process killed at any
moment leaves at most a `.*.tmp` file behind, which sweep_temp removes.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

TEMP_SUFFIX = ".tmp"


def write_atomic(path: Path, data: bytes | str) -> None:
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
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
