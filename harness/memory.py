"""Telling an out-of-memory kill from any other SIGKILL.

The kernel's OOM killer ends a process with SIGKILL, which on its own reads as
"killed by SIGKILL" or, to a client, "connection reset by the server". The
memory cgroup the sandbox runs in (Docker's container, or wherever the local
sandbox was started) counts its OOM kills: a count that grew while a program
ran means the memory limit was reached, and the feedback says so.
"""

from __future__ import annotations

from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
UNLIMITED = 1 << 60  # v1 reports "no limit" as a number near 2**63


def _own_cgroup() -> tuple[Path, str] | None:
    """(folder, version) of this process's memory cgroup, if the machine has one we can read."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            for folder in (CGROUP_ROOT / "memory" / path.lstrip("/"), CGROUP_ROOT / "memory"):
                if (folder / "memory.oom_control").exists():
                    return folder, "v1"
    for line in lines:
        if line.startswith("0::"):
            for folder in (CGROUP_ROOT / line[3:].lstrip("/"), CGROUP_ROOT):
                if (folder / "memory.events").exists():
                    return folder, "v2"
    return None


def oom_kills() -> int | None:
    """How many processes the OOM killer has ended in our memory cgroup so far."""
    found = _own_cgroup()
    if found is None:
        return None
    folder, version = found
    name = "memory.oom_control" if version == "v1" else "memory.events"
    try:
        for line in (folder / name).read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
    except (OSError, ValueError):
        return None
    return None


def limit_mib() -> int | None:
    """The memory limit of our cgroup in MiB (None: no limit, or none we can read)."""
    found = _own_cgroup()
    if found is None:
        return None
    folder, version = found
    try:
        text = (folder / ("memory.limit_in_bytes" if version == "v1" else "memory.max")).read_text().strip()
        value = int(text)
    except (OSError, ValueError):
        return None
    return None if value >= UNLIMITED else value >> 20


def oom_note(command: str, before: int | None, after: int | None) -> str | None:
    if before is None or after is None or after <= before:
        return None
    limit = limit_mib()
    what = f"the memory limit of {limit} MiB was reached" if limit else "the machine ran out of memory"
    return (f"killed: {what}. The kernel's out-of-memory killer ended {after - before} process(es) while "
            f"`{command}` ran; a SIGKILL or a reset connection in this check comes from that.")
