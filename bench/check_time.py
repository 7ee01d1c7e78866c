"""Wall time of `grader check LAB <reference>` per lab and backend: the median of several runs.

    python3 bench/check_time.py [--runs 5] [--backend local] [--load] [LAB...]

--load keeps every core busy with a CPU-bound process while measuring (the
determinism promise is that correct programs still pass; this shows the cost).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from grader.labs import all_labs  # noqa: E402


def spin() -> None:
    while True:
        pass


def measure(lab: str, path: Path, backend: str) -> tuple[float, int]:
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "grader", "check", lab, str(path), "--json", "--backend", backend],
                          capture_output=True, cwd=REPO)
    return time.monotonic() - start, proc.returncode


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("labs", nargs="*")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--backend", default="local")
    p.add_argument("--load", action="store_true", help="load every core with a spinning process")
    p.add_argument("--json", type=Path, help="also write the numbers here")
    args = p.parse_args()
    labs = all_labs()
    names = args.labs or list(labs)
    loaders = [multiprocessing.Process(target=spin, daemon=True) for _ in range(os.cpu_count() or 1)] if args.load else []
    for proc in loaders:
        proc.start()
    rows = {}
    try:
        for name in names:
            times, codes = zip(*(measure(name, labs[name].reference, args.backend) for _ in range(args.runs)))
            rows[name] = {"median_s": round(statistics.median(times), 3), "min_s": round(min(times), 3),
                          "max_s": round(max(times), 3), "all_passed": all(c == 0 for c in codes)}
            r = rows[name]
            print(f"{name:<18} median {r['median_s']:6.2f} s  (min {r['min_s']:.2f}, max {r['max_s']:.2f})  "
                  f"{'all passed' if r['all_passed'] else 'NOT ALL PASSED'}", flush=True)
    finally:
        for proc in loaders:
            proc.terminate()
    if args.json:
        args.json.write_text(json.dumps({"backend": args.backend, "load": args.load, "runs": args.runs,
                                         "labs": rows}, indent=1))
    return 0 if all(r["all_passed"] for r in rows.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
