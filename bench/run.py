"""The benchmark: one command, a Markdown table and a JSON file.

    .venv/bin/python bench/run.py                        # everything (about an hour on 2 cores)
    .venv/bin/python bench/run.py --sections checks      # some sections; the others are kept from the last run

Sections:
  checks    per lab, `grader check` on the reference, local and Docker (median of
            --runs), and the no-sandbox floor: the same checks run by the harness
            directly, with no namespace, no containment and no CLI
  versus    for each --versus-sizes, one generated tcp_echo class (70 % correct,
            30 % known-bad, some that hang) graded by bench/naive_baseline.py
            (start, sleep, poke, kill, sleep) and by `grader grade` at its default
            --jobs on each backend, one after another: times, ratio, wrong
            verdicts, CPU time, load; and the CPU floor (CPU per submission x
            class size / cores)
  phases    where the time of one correct and one hanging submission goes, per
            backend: sandbox set-up, runner start, program start and readiness,
            probes, stop, result writing; the probes' waits are the latency floor
  batch     `grader grade` on the generated class at each --jobs on each backend
  scale     orchestrator peak memory and total time on generated quick (hello)
            classes of each --scale size, local sandbox

Results go to --out (default bench/results): results.json (merged by section)
and results.md (rendered from all of it). The numbers are wall times on this
machine; run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import classes, phases, render  # noqa: E402
from bench.measure import grade_class, jobs_used, log, misjudged, naive_class, timed, verdicts_of  # noqa: E402
from grader.labs import all_labs  # noqa: E402

SECTIONS = ("checks", "versus", "phases", "batch", "scale")


def summary(times: list[float], passed: list[bool]) -> dict[str, Any]:
    return {"median_s": round(statistics.median(times), 3), "min_s": round(min(times), 3),
            "max_s": round(max(times), 3), "runs": len(times), "all_passed": all(passed)}


# -- checks ----------------------------------------------------------------------------------------------

def check_once(lab: str, path: Path, backend: str) -> tuple[float, bool]:
    took, proc = timed([sys.executable, "-m", "grader", "check", lab, str(path), "--json", "--backend", backend])
    return took, proc.returncode == 0


def floor_once(lab_dir: Path, path: Path) -> tuple[float, bool]:
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as tmp:
        out = Path(tmp) / "results.json"
        took, _ = timed([sys.executable, "-m", "harness.runner", "--lab-dir", str(lab_dir), "--submission",
                         str(path), "--out", str(out), "--isolate", "no", "--include-hidden"],
                        env={**os.environ, "PYTHONPATH": str(REPO)})
        try:
            tests = json.loads(out.read_text())["tests"]
        except (OSError, ValueError, KeyError):
            return took, False
    return took, all(t["extra_data"]["outcome"] == "passed" for t in tests)


def ensure_image(args: argparse.Namespace) -> None:
    """Build the sandbox image before anything is timed: a build inside the first Docker run would count."""
    if "docker" in args.backends:
        took, proc = timed([sys.executable, "-m", "grader", "image", "build"])
        if proc.returncode:
            raise SystemExit(f"bench: the Docker image does not build:\n{proc.stderr[-2000:]}")
        log(f"docker image ready ({took:.1f} s)")


def section_checks(args: argparse.Namespace) -> dict[str, Any]:
    labs = all_labs()
    names = args.labs or sorted(labs)
    modes: dict[str, Callable[[Any], tuple[float, bool]]] = {
        "floor": lambda lab: floor_once(lab.directory, lab.reference)}
    for backend in args.backends:
        modes[backend] = lambda lab, b=backend: check_once(lab.name, lab.reference, b)
    ensure_image(args)
    rows = {}
    for name in names:
        row = {}
        for mode, once in modes.items():
            times, passed = zip(*(once(labs[name]) for _ in range(args.runs)))
            row[mode] = summary(list(times), list(passed))
        for backend in args.backends:
            row[f"{backend}_over_floor"] = round(row[backend]["median_s"] / row["floor"]["median_s"], 2)
        rows[name] = row
        log(f"checks {name}: " + ", ".join(f"{m} {row[m]['median_s']:.2f} s" for m in modes))
    return {"runs": args.runs, "backends": args.backends, "labs": rows}


# -- versus, phases, batch ----------------------------------------------------------------------------------

def class_description(size: int) -> dict[str, int]:
    kinds = classes.mixed_kinds(size)
    return {"size": size, "correct": sum(k in classes.CORRECT_KINDS for k in kinds),
            "known_bad": sum(k in classes.TCP_ECHO_BAD for k in kinds),
            "hang": sum(k in classes.HANGS for k in kinds)}


def section_batch(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    ensure_image(args)
    truth = classes.tcp_echo_class(work / "class", args.class_size)
    rows = []
    for backend in args.backends:
        for jobs in args.jobs:
            out = work / f"out-{backend}-{jobs}"
            took, peak = grade_class("tcp_echo", work / "class", out, backend, jobs)
            row = {"backend": backend, "jobs": jobs, **took.row(),
                   "per_minute": round(len(truth) / took.seconds * 60, 1), "exit": took.proc.returncode,
                   "peak_rss_mib": round(peak / 1024, 1) if peak else None,
                   **misjudged(truth, verdicts_of(out, "tcp_echo"))}
            rows.append(row)
            log(f"batch {backend} --jobs {jobs}: {took.seconds:.1f} s, {row['wrong_verdicts']} wrong verdicts, "
                f"load {took.load[0]} -> {took.load[1]}")
    return {"class": class_description(args.class_size), "runs": rows}


def section_versus(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """The naive script and `grader grade` at its default --jobs on each backend, on the same class, one after
    another in one run: their times, ratio, wrong verdicts, CPU and the load they ran under."""
    ensure_image(args)
    sizes = []
    for size in args.versus_sizes:
        folder = work / f"class-{size}"
        truth = classes.tcp_echo_class(folder, size)
        log(f"versus {size}: naive baseline, one submission after another (at least 2 s each)")
        naive, seen = naive_class(folder)
        row: dict[str, Any] = {"class": class_description(size),
                               "naive": {**naive.row(), **misjudged(truth, seen)}, "grader": []}
        log(f"versus {size}: naive {naive.seconds:.1f} s, load {naive.load[0]} -> {naive.load[1]}")
        for backend in args.backends:
            out = work / f"out-{size}-{backend}"
            took, peak = grade_class("tcp_echo", folder, out, backend, args.versus_jobs)
            cpu = took.cpu_s + (took.docker_cpu_s or 0.0)
            row["grader"].append({"backend": backend, "jobs": jobs_used(took.proc.stderr), **took.row(),
                                  "ratio": round(naive.seconds / took.seconds, 2),
                                  "cpu_per_submission_s": round(cpu / size, 3),
                                  "cpu_floor_s": round(cpu / (os.cpu_count() or 1), 1),
                                  "peak_rss_mib": round(peak / 1024, 1) if peak else None,
                                  **misjudged(truth, verdicts_of(out, "tcp_echo"))})
            log(f"versus {size} {backend}: {took.seconds:.1f} s ({naive.seconds / took.seconds:.2f}x the naive "
                f"script), load {took.load[0]} -> {took.load[1]}")
        sizes.append(row)
    return {"cores": os.cpu_count(), "sizes": sizes}


def section_phases(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    return phases.section(args.backends, work, args.phases_subjects)


def section_scale(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    rows = []
    for size in args.scale:
        folder = work / f"hello-{size}"
        classes.hello_class(folder, size)
        took, peak = grade_class("hello", folder, work / f"hello-out-{size}", "local", args.scale_jobs)
        rows.append({"submissions": size, **took.row(), "per_submission_s": round(took.seconds / size, 3),
                     "exit": took.proc.returncode, "peak_rss_mib": round(peak / 1024, 1) if peak else None})
        log(f"scale {size}: {took.seconds:.1f} s, peak {rows[-1]['peak_rss_mib']} MiB")
    return {"lab": "hello", "backend": "local", "jobs": args.scale_jobs, "runs": rows}


# -- the run ---------------------------------------------------------------------------------------------

def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal"))
    docker = subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"], capture_output=True,
                            text=True) if _which("docker") else None
    commit = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True,
                            text=True)
    return {"cores": os.cpu_count(), "cpu": cpu, "memory_gib": round(mem / 2**20, 1),
            "kernel": platform.release(), "python": platform.python_version(),
            "docker": docker.stdout.strip() if docker and docker.returncode == 0 else "unavailable",
            "commit": commit.stdout.strip() if commit.returncode == 0 else "unknown"}


def _which(cmd: str) -> bool:
    return any((Path(d) / cmd).exists() for d in os.environ.get("PATH", "").split(os.pathsep))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ints = lambda s: [int(x) for x in s.split(",")]  # noqa: E731
    names = lambda s: [x for x in s.split(",") if x]  # noqa: E731
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sections", type=names, default=list(SECTIONS), help="comma-separated (default: all)")
    p.add_argument("--labs", type=names, default=[], help="labs for `checks` (default: all)")
    p.add_argument("--runs", type=int, default=3, help="runs per lab and mode for `checks` (default 3)")
    p.add_argument("--backends", type=names, default=["local", "docker"], help="default: local,docker")
    p.add_argument("--class-size", type=int, default=100, help="generated tcp_echo class (default 100)")
    p.add_argument("--jobs", type=ints, default=[1, 2, 4], help="batch --jobs values (default 1,2,4)")
    p.add_argument("--versus-sizes", type=ints, default=[40, 100],
                   help="class sizes for `versus`, the naive script against the grader (default 40,100)")
    p.add_argument("--phases-subjects", type=names, default=list(phases.SUBJECTS),
                   help=f"submissions for `phases` (default {','.join(phases.SUBJECTS)})")
    p.add_argument("--versus-jobs", type=int, default=None, help="--jobs for `versus` (default: the grader's)")
    p.add_argument("--scale", type=ints, default=[100, 1000], help="quick class sizes (default 100,1000)")
    p.add_argument("--scale-jobs", type=int, default=4, help="--jobs for `scale` (default 4)")
    p.add_argument("--out", type=Path, default=REPO / "bench" / "results", help="default: bench/results")
    args = p.parse_args(argv)
    unknown = set(args.sections) - set(SECTIONS) | set(args.backends) - {"local", "docker"}
    if unknown:
        p.error(f"unknown section or backend: {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "results.json"
    try:
        results = json.loads(path.read_text())
    except (OSError, ValueError):
        results = {}
    results = {k: v for k, v in results.items() if k in SECTIONS}  # sections of older versions go
    command = ".venv/bin/python bench/run.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    meta = {"date": datetime.date.today().isoformat(), "machine": machine(), "command": command.strip()}
    runners = {"checks": lambda w: section_checks(args), "batch": lambda w: section_batch(args, w / "batch"),
               "versus": lambda w: section_versus(args, w / "versus"),
               "phases": lambda w: section_phases(args, w / "phases"),
               "scale": lambda w: section_scale(args, w)}
    with tempfile.TemporaryDirectory(prefix="grader-bench-") as work:
        for name in SECTIONS:
            if name in args.sections:
                started = time.monotonic()
                log(f"section {name}")
                results[name] = {**meta, "took_s": 0, **runners[name](Path(work))}
                results[name]["took_s"] = round(time.monotonic() - started)
                path.write_text(json.dumps(results, indent=1) + "\n")  # each finished section is kept
    (args.out / "results.md").write_text(render.markdown(results))
    print((args.out / "results.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
