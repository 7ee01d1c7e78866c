"""What the local sandbox contains, and what this machine refuses of it.

The runner (already in its own user + network namespace, harness.netns)
starts every program through harness.contain in `pidns` mode with:

  * a view of the filesystem (harness.mounts): system read-only, private
    /tmp, /var/tmp, /dev/shm, the submission's copy the only writable place,
    the grader's installation, the project checkout, the lab folder, the
    runner's scratch and the user's home hidden;
  * a user namespace of the program's own (harness.contain._own_user), with
    RLIMIT_NPROC counted in it (Linux >= 5.14), so a fork bomb meets its own
    limit and no neighbour's. Where the grader runs as real root, the program
    runs as an unprivileged uid of its own (STUDENT_UIDS, as in Docker), which
    is the only way RLIMIT_NPROC holds for it (root is exempt from it).

`probe()` tries all of it once in a throwaway child and names in one line
what is missing; `python3 -m harness.local_sandbox` prints that line
(nothing when the sandbox is complete) for `grader grade` to decide.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import sys
import tempfile
from pathlib import Path
from typing import Any

from harness.launch import HARNESS_ROOT, Containment, base_python, student_env

STUDENT_NPROC = 128  # processes + threads, as in Docker (grader.backends.docker.Limits.student_nproc)
STUDENT_UIDS = range(1_000_000, 2_000_000)  # real root only: an unprivileged uid per runner
NPROC_PER_NAMESPACE = (5, 14)  # RLIMIT_NPROC counted per user namespace (ucounts) since Linux 5.14


def kernel_counts_nproc_per_namespace() -> bool:
    try:
        major, minor = (int(x) for x in os.uname().release.split(".")[:2])
    except ValueError:
        return False
    return (major, minor) >= NPROC_PER_NAMESPACE


def hidden_places(lab_dir: Path, scratch: Path, outside_uid: int) -> list[str]:
    places = [HARNESS_ROOT, str(lab_dir), str(scratch)]
    if sys.prefix != sys.base_prefix:
        places.append(sys.prefix)  # the grader's virtualenv (its site-packages: no .pth, no sitecustomize)
    try:
        places.append(pwd.getpwuid(outside_uid).pw_dir)
    except KeyError:
        pass
    if os.environ.get("HOME"):
        places.append(os.environ["HOME"])
    return sorted({os.path.realpath(p) for p in places if p and os.path.realpath(p) != "/"})


def python_places() -> list[str]:
    """What the student's interpreter needs even inside a hidden folder (pyenv, conda under home)."""
    exe = os.path.realpath(base_python())
    return sorted({os.path.realpath(sys.base_prefix), os.path.dirname(exe), os.path.realpath(student_env())})


def containment(work: Path, lab_dir: Path, scratch: Path, outside_uid: int | None) -> Containment:
    """The pidns containment of the local sandbox (outside_uid: the uid before the runner's namespaces)."""
    uid = os.getuid() if outside_uid is None else outside_uid
    c = Containment(mode="pidns")
    from harness import mounts

    c.missing = mounts.cap_work(str(work.resolve()))
    c.view = {"work": str(work.resolve()), "hide": hidden_places(lab_dir, scratch.resolve(), uid),
              "keep": python_places()}
    if uid == 0:
        student = STUDENT_UIDS.start + secrets.randbelow(len(STUDENT_UIDS))
        c.user = {"setuid": student, "inner": student}
        for path in [work, *work.rglob("*")]:
            os.chown(path, student, student, follow_symlinks=False)
    else:
        c.user = {"inner": uid}
    if kernel_counts_nproc_per_namespace():
        c.rlimits["nproc"] = STUDENT_NPROC
    return c


def probe(c: Containment) -> list[str]:
    """What of containment `c` this machine refuses (tried in a throwaway PID namespace)."""
    from harness import contain, mounts

    missing = list(c.missing) + ([] if "nproc" in c.rlimits else [
        f"a per-namespace process limit (Linux >= {'.'.join(map(str, NPROC_PER_NAMESPACE))}; "
        f"this is {os.uname().release})"])
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the trampoline's part, then init's
        os.close(r)
        found = []
        try:
            if contain._libc.unshare(contain.CLONE_NEWPID) != 0:
                found = ["a PID namespace"]
            elif os.fork() == 0:
                assert c.view is not None and c.user is not None  # containment() gives both
                found = mounts.build(mounts.View(work=c.view["work"], hide=tuple(c.view["hide"]),
                                                 keep=tuple(c.view["keep"])))
                found += _try_own_user(c.user)
                os.write(w, json.dumps(found).encode())
                os._exit(0)
            else:
                os.wait()
                os._exit(0)
        except BaseException as exc:  # noqa: BLE001 - reported as missing, never a crash of the runner
            found = [f"the sandbox ({exc})"]
        os.write(w, json.dumps(found).encode())
        os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        data = f.read()
    os.waitpid(pid, 0)
    try:
        answer: list[str] = json.loads(data or b'["the sandbox (no answer from the probe)"]')
        return missing + answer
    except ValueError:
        return [*missing, "the sandbox (a garbled answer from the probe)"]


def _try_own_user(user: dict[str, Any]) -> list[str]:
    from harness import contain

    pid = os.fork()
    if pid == 0:
        try:
            contain._own_user(user)
            os._exit(0)
        except BaseException:  # noqa: BLE001
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    return [] if os.waitstatus_to_exitcode(status) == 0 else ["a user namespace for the program"]


def missing_line(missing: list[str]) -> str:
    """The one line that says what is missing ('' when nothing is)."""
    if not missing:
        return ""
    return "weaker local sandbox, missing: " + "; ".join(missing)


def main() -> int:
    """Print what the local sandbox lacks on this machine (nothing: it is complete)."""
    from harness import mounts, netns

    try:
        netns.enter_private_namespaces()
    except OSError as exc:
        print(missing_line([f"user and network namespaces ({exc.strerror or exc})"]))
        return 0
    with tempfile.TemporaryDirectory(prefix="grader-probe-") as tmp:
        work = Path(tmp) / "submission"
        work.mkdir()
        c = containment(work, Path(HARNESS_ROOT), Path(tmp), netns.OUTSIDE_UID)
        try:
            line = missing_line(probe(c))
        finally:
            mounts.release_work(str(work.resolve()))  # containment() put a tmpfs on it: the folder must be removable
    if line:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
