"""A fresh scratch for every check: no file state is carried from one check to the next.

Rule: before every check but the first, the submission's working copy is
thrown away and copied again from the submission, and (Docker) every file
the student's uid left in /tmp and /dev/shm is removed. (The local sandbox
gives every program private /tmp, /var/tmp and /dev/shm anyway:
harness.mounts.) Otherwise a file written by one check (a log, a pid file, a
half-written upload) would change the outcome of the next, and outcomes
would depend on check order.

In Docker the runner is root without CAP_DAC_OVERRIDE or CAP_FOWNER, so it
cannot delete the student's files itself: a child with the student's uid
does (it can delete only its own files, which is what is wanted).
"""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

from harness.launch import Containment

SHARED_PLACES = ("/tmp", "/dev/shm")  # Docker: one per container, shared by the checks
_old = itertools.count(1)


def fresh_copy(work: Path, source: Path, containment: Containment) -> None:
    """Replace `work` by a new copy of `source` (the student's programs are all stopped by now)."""
    from harness.runner import copy_submission

    uid = _owner(containment)
    if containment.mode == "uid" and uid is not None:
        _as_uid(uid, [work], SHARED_PLACES)  # the student's files, as the student: all it may remove
    if os.path.ismount(work):  # the local sandbox's size-capped tmpfs (harness.mounts.cap_work): empty it
        for entry in os.scandir(work):
            _remove(entry)
    else:
        old = work.with_name(f"{work.name}.old{next(_old)}")
        os.rename(work, old)  # root may rename in its own scratch folder whoever owns the contents
        shutil.rmtree(old, ignore_errors=True)  # what is left: empty folders of root's, or nothing
    copy_submission(source, work)
    if uid is not None:
        for path in [work, *work.rglob("*")]:
            os.chown(path, uid, uid, follow_symlinks=False)


def _owner(containment: Containment) -> int | None:
    if containment.mode == "uid":
        return containment.uid
    user = containment.user or {}
    return user.get("setuid")  # local sandbox under real root: the program's own uid


def _as_uid(uid: int, trees: list[Path], places: tuple[str, ...]) -> None:
    from harness.contain import as_uid

    def remove() -> None:
        for tree in trees:
            for entry in os.scandir(tree) if tree.is_dir() else []:
                _remove(entry)
        for place in places:
            for entry in os.scandir(place) if os.path.isdir(place) else []:
                _remove(entry)

    as_uid(uid, remove)


def _remove(entry: os.DirEntry[str]) -> None:
    try:
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            os.unlink(entry.path)
    except OSError:
        pass  # not the student's: not ours to remove either
