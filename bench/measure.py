"""Timing one grading command: wall time, CPU time, the machine's load, and the verdicts it gave.

CPU time: the grader's own process tree is exact (getrusage of waited-for
children: the orchestrator, the local sandboxes' runners and every program
they started). Docker's containers are not our children: their CPU time is
read from the engine's parent cgroup (cgroupfs driver), which counts every
container on the machine, so it is an upper bound when others use Docker too.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent

from grader.batch import load_result  # noqa: E402

# Runs `grader` in-process and reports the orchestrator's own peak resident memory (KiB) on stderr.
PEAK_RSS = ("import resource, sys\nfrom grader.cli import main\ncode = main(sys.argv[1:])\n"
            "print(f'@@peak-rss-kib {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}', file=sys.stderr)\n"
            "sys.exit(code)\n")
DOCKER_CPU = (Path("/sys/fs/cgroup/cpuacct/docker/cpuacct.usage"),  # v1: nanoseconds
              Path("/sys/fs/cgroup/cpu,cpuacct/docker/cpuacct.usage"),
              Path("/sys/fs/cgroup/docker/cpu.stat"))  # v2, cgroupfs driver: usage_usec


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def timed(argv: list[str], **kw: Any) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=kw.pop("cwd", REPO), **kw)
    return time.monotonic() - start, proc


def docker_cpu_s() -> float | None:
    """CPU seconds used so far by all of the engine's containers (None: not readable here)."""
    for path in DOCKER_CPU:
        try:
            text = path.read_text()
        except OSError:
            continue
        if path.name == "cpu.stat":
            usec = next((int(line.split()[1]) for line in text.splitlines() if line.startswith("usage_usec")), None)
            return None if usec is None else usec / 1e6
        return int(text) / 1e9
    return None


def machine_cpu_s() -> float:
    """CPU seconds the whole machine has been busy (every core, /proc/stat): on an otherwise idle machine,
    what a command cost with everything it set in motion that is no child of ours (the container
    engine's daemons, its per-container fuse-overlayfs, the kernel's softirqs)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


@dataclass(slots=True)
class Took:
    seconds: float
    cpu_s: float  # our process tree
    docker_cpu_s: float | None  # every container of the engine meanwhile
    machine_cpu_s: float  # the whole machine meanwhile (machine_cpu_s)
    load: tuple[float, float]  # 1-minute load average before and after
    proc: subprocess.CompletedProcess[str]

    def row(self) -> dict[str, Any]:
        return {"seconds": round(self.seconds, 1), "cpu_s": round(self.cpu_s, 1),
                "docker_cpu_s": None if self.docker_cpu_s is None else round(self.docker_cpu_s, 1),
                "machine_cpu_s": round(self.machine_cpu_s, 1),
                "load_before": self.load[0], "load_after": self.load[1]}


def measured(argv: list[str], **kw: Any) -> Took:
    """Run argv to its end: wall time, CPU time of its tree and of Docker's containers, load before and after."""
    before, docker_before, machine_before = resource.getrusage(resource.RUSAGE_CHILDREN), docker_cpu_s(), machine_cpu_s()
    load_before = round(os.getloadavg()[0], 1)
    took, proc = timed(argv, **kw)
    after, docker_after, machine_after = resource.getrusage(resource.RUSAGE_CHILDREN), docker_cpu_s(), machine_cpu_s()
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    docker = None if docker_before is None or docker_after is None else docker_after - docker_before
    return Took(took, cpu, docker, machine_after - machine_before, (load_before, round(os.getloadavg()[0], 1)), proc)


def verdicts_of(out: Path, lab: str) -> dict[str, str]:
    """{student: "correct" | "wrong" | "error"} as the grader saw it (full marks = correct)."""
    found = {}
    for path in out.glob("*/results.json"):
        loaded = load_result(path, lab)
        if loaded is None or loaded[0].has_error:
            found[path.parent.name] = "error"
        else:
            report = loaded[0]
            found[path.parent.name] = "correct" if report.score == report.max_score else "wrong"
    return found


def misjudged(truth: dict[str, str], seen: dict[str, str]) -> dict[str, Any]:
    wrong = sorted(s for s, t in truth.items() if seen.get(s) != t)
    return {"wrong_verdicts": len(wrong), "passed_but_wrong": sum(truth[s] == "wrong" for s in wrong),
            "failed_but_correct": sum(truth[s] == "correct" for s in wrong), "students": wrong}


def grade_class(lab: str, folder: Path, out: Path, backend: str, jobs: int | None) -> tuple[Took, int | None]:
    """`grader grade` on a class folder (jobs None: the grader's default); (measurement, peak RSS in KiB)."""
    # Run from the output's parent so no grader.yml of this checkout applies.
    argv = [sys.executable, "-c", PEAK_RSS, "grade", lab, str(folder), "--out", str(out), "--backend", backend]
    took = measured(argv + (["--jobs", str(jobs)] if jobs is not None else []),
                    cwd=out.parent, env={**os.environ, "PYTHONPATH": str(REPO)})
    proc = took.proc
    peak = re.search(r"@@peak-rss-kib (\d+)", proc.stderr)
    if proc.returncode not in (0, 3):
        raise SystemExit(f"bench: grader grade failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return took, int(peak.group(1)) if peak else None


def jobs_used(stderr: str) -> int | None:
    """The --jobs the grader chose, from its first line ("..., 4 docker sandbox(es) in parallel -> ...")."""
    found = re.search(r"(\d+) \w+ sandbox\(es\) in parallel", stderr)
    return int(found.group(1)) if found else None


def naive_class(folder: Path) -> tuple[Took, dict[str, str]]:
    """bench/naive_baseline.py on a class folder: (measurement, {student: "correct" | "wrong"})."""
    took = measured([sys.executable, str(REPO / "bench" / "naive_baseline.py"), str(folder)])
    seen = {}
    for line in took.proc.stdout.splitlines():
        student, _, verdict = line.partition(",")
        seen[student] = "correct" if verdict == "PASS" else "wrong"
    return took, seen
