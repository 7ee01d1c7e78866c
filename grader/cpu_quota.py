"""A CPU quota for each local sandbox, as Docker gives each container one (nano_cpus).

Rule: a submission's whole process tree (the check runner and every program it
starts) lives in one cpu cgroup of its own, capped at the same `cpus` as a
Docker sandbox, so both back-ends grade under the same limit and a spinning
or many-threaded submission weighs as one sandbox against its neighbours,
not as one per thread. The cgroup is made by this process (outside the
sandbox) and entered by the runner's first instruction, before it exists as
Python: `sh -c 'echo $$ > cgroup.procs; exec runner'`, so nothing the sandbox
starts can begin outside it.

Where a cgroup can be made without asking anyone for rights:
  cgroup v2  our own cgroup, if its cgroup.subtree_control offers `cpu` to
             children we may create (a delegated subtree, or root)
  cgroup v1  the cpu hierarchy, if we may write it (root)
Elsewhere (a student's laptop under systemd without delegation, macOS) there
is no cap: `CpuQuota.find()` returns None and `why_missing()` says why in one
line. Nothing else of the sandbox depends on it.
"""

from __future__ import annotations

import itertools
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CGROUP = Path("/sys/fs/cgroup")
PERIOD_US = 100_000  # the kernel's default CFS period: quota is spent in slices of it
# Every sandbox cgroup of ours is <base>/socklab-grader-<our pid>-<n>-<random>: side by side with the
# processes outside, not under a common parent, which would weigh as one task for all of them together.
PREFIX = "socklab-grader-"
# A cgroup competes with the processes outside it as ONE task of its weight. At the default weight a
# sandbox (runner, launcher, program: several runnable threads at times) gets a fraction of what the same
# processes get uncapped on a machine loaded by others: measured under a load average of ~150, a
# spinning submission took 41-65 s in its cgroup against 16-20 s without. WEIGHT tasks' worth gives it
# back its standing; the quota still caps the whole sandbox at `cpus`. (Docker's containers share one
# parent cgroup of weight 1024 on cgroupfs engines: there all sandboxes together weigh as one task.)
WEIGHT = 8
RMDIR_FOR = 2.0  # seconds to wait for a sandbox's last task to leave its cgroup before leaving it to the sweep

_serial = itertools.count(1)


@dataclass(frozen=True, slots=True)
class CpuQuota:
    base: Path  # a cgroup folder we may create children in
    version: int  # 1 or 2

    @classmethod
    def find(cls) -> CpuQuota | None:
        for found in (_v2_base(), _v1_base()):
            if found is not None:
                return found
        return None

    def describe(self) -> str:
        return f"cgroup v{self.version} at {self.base}"

    @contextmanager
    def sandbox(self, cpus: float) -> Iterator[Path]:
        """A fresh cgroup capped at `cpus`; yields its cgroup.procs. Removed afterwards (its tasks gone)."""
        folder = self.base / f"{PREFIX}{os.getpid()}-{next(_serial)}-{secrets.token_hex(3)}"
        folder.mkdir()
        try:
            quota = max(1000, int(cpus * PERIOD_US))
            if self.version == 2:
                (folder / "cpu.max").write_text(f"{quota} {PERIOD_US}\n")
                (folder / "cpu.weight").write_text(f"{100 * WEIGHT}\n")
            else:
                (folder / "cpu.cfs_period_us").write_text(f"{PERIOD_US}\n")
                (folder / "cpu.cfs_quota_us").write_text(f"{quota}\n")
                (folder / "cpu.shares").write_text(f"{1024 * WEIGHT}\n")
            yield folder / "cgroup.procs"
        finally:
            _remove(folder)


def entering(procs: Path, argv: list[str]) -> list[str]:
    """argv, run from its first instruction inside the cgroup whose cgroup.procs is `procs`."""
    return ["/bin/sh", "-c", 'echo $$ > "$0" || exit 125; exec "$@"', str(procs), *argv]


def why_missing() -> str:
    v2 = _own_path(2)
    if v2 is not None and (CGROUP / "cgroup.controllers").exists():
        return (f"no CPU quota per local sandbox: this cgroup v2 ({v2}) does not delegate the cpu controller "
                "to us; a spinning submission takes a whole core (the Docker sandbox caps it)")
    return ("no CPU quota per local sandbox: no cpu cgroup here that we may write (needs cgroup v2 with the "
            "cpu controller delegated, or root); a spinning submission takes a whole core (the Docker sandbox "
            "caps it)")


# ---------------------------------------------------------------------- finding a place

def _own_path(version: int) -> str | None:
    """Our cgroup path in the v2 hierarchy (version 2) or in v1's cpu hierarchy (version 1)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        ident, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if version == 2 and ident == "0" and controllers == "":
            return path
        if version == 1 and "cpu" in controllers.split(","):
            return path
    return None


def _v2_base() -> CpuQuota | None:
    path = _own_path(2)
    mount = CGROUP if (CGROUP / "cgroup.controllers").exists() else CGROUP / "unified"
    if path is None or not (mount / "cgroup.controllers").exists():
        return None
    base = mount / path.lstrip("/")
    try:
        if "cpu" not in (base / "cgroup.subtree_control").read_text().split():
            # Only where no process of ours sits in the cgroup (or it is the root) may we offer it.
            (base / "cgroup.subtree_control").write_text("+cpu\n")
    except OSError:
        return None
    return _usable(CpuQuota(base, 2))


def _v1_base() -> CpuQuota | None:
    path = _own_path(1)
    if path is None:
        return None
    for name in ("cpu", "cpu,cpuacct", "cpuacct,cpu"):
        base = CGROUP / name / path.lstrip("/")
        if (base / "cpu.cfs_quota_us").exists():
            return _usable(CpuQuota(base, 1))
    return None


def _usable(found: CpuQuota) -> CpuQuota | None:
    """found, if we can really make a capped child there (rights are checked by trying)."""
    try:
        with found.sandbox(1.0):
            pass
    except OSError:
        return None
    return found


def _remove(folder: Path, wait: float = RMDIR_FOR) -> None:
    end = time.monotonic() + wait
    while True:
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:  # EBUSY: a task still leaving (its process group is being killed), or siblings
            if time.monotonic() >= end:
                return
            time.sleep(0.01)  # poll: the cgroup empties once its last task has left


def sweep() -> list[str]:
    """Remove the cgroups of grader processes that are gone (a run killed with SIGKILL leaves its own)."""
    found = CpuQuota.find()
    removed: list[str] = []
    if found is None:
        return removed
    for folder in found.base.glob(f"{PREFIX}*"):
        pid = folder.name[len(PREFIX):].split("-", 1)[0]
        if pid.isdigit() and Path(f"/proc/{pid}").exists():
            continue
        _remove(folder, wait=0)
        if not folder.exists():
            removed.append(folder.name)
    return removed
