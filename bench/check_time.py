"""How long one `grader check` takes, end to end, and where the checks spend it.

    .venv/bin/python bench/check_time.py                         # tcp_echo reference, local, median of 10
    .venv/bin/python bench/check_time.py --backend docker --runs 10
    .venv/bin/python bench/check_time.py --path tests/integration/programs/never_listens.py --runs 3

Prints the wall time of each run (the whole CLI, as a student sees it), the
median, the score, the per-check durations of the median run, and the load
average before and after: numbers taken on a busy machine are upper bounds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one_run(lab: str, path: Path, backend: str) -> tuple[float, float, dict]:
    """(wall seconds, CPU seconds of the CLI and everything it started, document)."""
    grader = Path(sys.executable).with_name("grader")
    argv = [str(grader), "check", lab, str(path), "--backend", backend, "--json"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=ROOT)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    try:
        doc = json.loads(done.stdout)
    except json.JSONDecodeError:
        sys.exit(f"{' '.join(argv)} printed no document (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return wall, cpu, doc


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lab", default="tcp_echo")
    p.add_argument("--path", type=Path, help="submission (default: reference/LAB)")
    p.add_argument("--backend", default="local", choices=("local", "docker"))
    p.add_argument("--runs", type=int, default=10)
    args = p.parse_args(argv)
    path = args.path or ROOT / "reference" / args.lab
    load_before = os.getloadavg()
    runs = []
    for i in range(args.runs):
        wall, cpu, doc = one_run(args.lab, path, args.backend)
        runs.append((wall, cpu, doc))
        print(f"run {i + 1}: {wall:.3f} s wall, {cpu:.3f} s CPU, score {doc['score']:g}/{doc['extra_data']['max_score']:g}",
              flush=True)
    walls = sorted(w for w, _, _ in runs)
    median = statistics.median(walls)
    _, _, doc = min(runs, key=lambda r: abs(r[0] - median))
    print(f"\n{args.lab} {path.name} on {args.backend}: median {median:.3f} s "
          f"(min {walls[0]:.3f}, max {walls[-1]:.3f}) over {len(walls)} runs")
    print(f"CPU (CLI, runner, launchers, the student's programs; Docker: the client only): median "
          f"{statistics.median(c for _, c, _ in runs):.3f} s")
    print(f"runner execution_time (median run): {doc.get('execution_time', 0):.3f} s")
    for test in doc["tests"]:
        extra = test.get("extra_data", {})
        print(f"  {test['name']:<24} {extra.get('outcome', '?'):<8} {extra.get('duration', 0):.3f} s")
    print("load average before: {:.2f} {:.2f} {:.2f}; after: {:.2f} {:.2f} {:.2f}".format(*load_before, *os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
