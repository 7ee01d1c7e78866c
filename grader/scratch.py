"""Scratch folders in the system's temporary folder that a killed run does not leave behind.

Rule: a scratch folder is born holding a lock. It is made under a hidden name,
`.grader-...-new-XXXX`, the file `.owner` inside it is created and flock-ed,
and only then is it renamed to its visible name `grader-...-XXXX`. The lock
is held for the folder's whole life and dies with its process, also on
SIGKILL. So at the next start, `sweep_abandoned` removes exactly the folders
whose lock it can take (their owner is gone) and leaves every folder of a run
still going (another batch, a `grader check`) alone.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

OWNER = ".owner"
PREFIXES = ("grader-batch-", "grader-check-", "grader-local-", "grader-sandbox-")  # the scratch folders made here, swept at every start


@contextmanager
def owned_scratch(prefix: str) -> Iterator[Path]:
    """A fresh scratch folder, locked by this process, removed on the way out."""
    assert prefix in PREFIXES, prefix
    base = Path(tempfile.gettempdir())
    hidden = Path(tempfile.mkdtemp(prefix=f".{prefix}new-", dir=base))
    fd = -1
    try:
        # Locked before it has its name: a sweeper never sees an `.owner` that nobody holds yet.
        fd = os.open(hidden / ".owner-new", os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, f"{os.getpid()}\n".encode())
        os.rename(hidden / ".owner-new", hidden / OWNER)
        folder = base / (prefix + hidden.name.removeprefix(f".{prefix}new-"))
        os.rename(hidden, folder)
        hidden = folder
        yield folder
    finally:
        remove(hidden)
        if fd >= 0:
            os.close(fd)


def remove(folder: Path) -> None:
    """rmtree that also empties read-only folders (the student's site folder is one), as
    TemporaryDirectory's cleanup does; links are removed, never followed."""
    for root, dirs, _files in os.walk(folder):
        for name in dirs:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                with contextlib.suppress(OSError):
                    os.chmod(path, 0o700)
    shutil.rmtree(folder, ignore_errors=True)


def sweep_abandoned(base: Path | None = None) -> list[Path]:
    """Remove the scratch folders whose owning process is gone; the folders removed."""
    base = base or Path(tempfile.gettempdir())
    removed = []
    for prefix in PREFIXES:
        for folder in [*base.glob(f"{prefix}*"), *base.glob(f".{prefix}new-*")]:
            if folder.is_dir() and not folder.is_symlink() and _abandoned(folder):
                remove(folder)
                removed.append(folder)
    if removed:
        print(f"note: removed {len(removed)} scratch folder(s) a killed run left in {base}", file=sys.stderr)
    return removed


def _abandoned(folder: Path) -> bool:
    """True when nobody holds the folder's lock (a folder without one is another program's, or too young)."""
    try:
        fd = os.open(folder / OWNER, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # held: its run is still going
    finally:
        os.close(fd)  # closing drops the lock we may have taken; rmtree follows at once
    return True
