"""Benchmark of the broker path (not a test): `python bench/broker.py [--class-size N] [--tasks N]`.

  overhead   a generated tcp_echo class: a local batch at --jobs 2 against the broker with
             two `grader worker --jobs 1` on this machine (the same total concurrency)
  tasks      N quick `hello` submissions through the broker: the orchestrator's own CPU
             time per task and its peak resident memory (the workers are other processes)
  estimate   from those two: the time for --estimate-class tcp_echo submissions on
             --estimate-workers workers, each a machine like this one running --jobs 2

Prints one JSON document on stdout; progress on stderr. Starts its own redis-server on a
loopback port in a temporary folder, and ends everything it started.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import classes  # noqa: E402
from tests.scaleout.conftest import RedisServer, Workers, grader_env  # noqa: E402

# The orchestrator's own CPU time and peak memory, printed by the process itself.
MEASURED = ("import resource, sys\nfrom grader.cli import main\ncode = main(sys.argv[1:])\n"
            "r = resource.getrusage(resource.RUSAGE_SELF)\n"
            "print(f'@@usage {r.ru_utime + r.ru_stime} {r.ru_maxrss}', file=sys.stderr)\nsys.exit(code)\n")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def grade(lab: str, folder: Path, out: Path, *extra: str) -> dict[str, float]:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", MEASURED, "grade", lab, str(folder), "--out", str(out), *extra],
                          cwd=out.parent, env=grader_env(), capture_output=True, text=True)
    took = time.monotonic() - started
    if proc.returncode not in (0, 3):
        raise SystemExit(f"bench: grader grade failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    usage = [line for line in proc.stderr.splitlines() if line.startswith("@@usage ")][-1].split()
    return {"seconds": round(took, 1), "cpu_s": round(float(usage[1]), 2),
            "peak_rss_mib": round(int(usage[2]) / 1024, 1), "exit": proc.returncode}


def estimate(machine_s_per_sub: float, orchestrator_s_per_task: float, size: int, workers: int) -> dict[str, float]:
    """Workers grade in parallel, the one orchestrator sends and records one task at a time; the batch
    takes about as long as the slower of the two (they overlap).

    machine_s_per_sub is what one machine like this spends per submission at --jobs 2 (the broker
    run's wall time over its class), so N such machines grade N times as fast. The orchestrator's
    cost per task is taken as constant, though each poll reads every pending key (MGET): with
    5 times the tasks in flight a poll costs 5 times as much, so the recording figure is a floor."""
    grading = size * machine_s_per_sub / workers
    recording = size * orchestrator_s_per_task
    return {"submissions": size, "workers": workers, "grading_s": round(grading, 1),
            "orchestrator_s": round(recording, 1), "batch_s": round(max(grading, recording), 1)}


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--class-size", type=int, default=40)
    p.add_argument("--tasks", type=int, default=1000)
    p.add_argument("--task-jobs", type=int, default=2, help="--jobs of each of the two workers for the tasks run")
    p.add_argument("--estimate-class", type=int, default=5000)
    p.add_argument("--estimate-workers", type=int, default=10)
    args = p.parse_args()
    load_before = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="bench-broker-") as tmp:
        work = Path(tmp)
        redis = RedisServer(work / "redis")
        redis.start()
        pool = Workers(work / "workers", redis.url)
        try:
            classes.tcp_echo_class(work / "class", args.class_size)
            log(f"overhead: {args.class_size} tcp_echo submissions, local --jobs 2")
            local = grade("tcp_echo", work / "class", work / "local", "--backend", "local", "--jobs", "2")
            pool.start("o1", "--jobs", "1")
            pool.start("o2", "--jobs", "1")
            log("overhead: the same through the broker, 2 workers x 1 job")
            broker = grade("tcp_echo", work / "class", work / "broker", "--broker", redis.url)
            pool.stop_all()
            pool.procs.clear()
            classes.hello_class(work / "hello", args.tasks)
            pool.start("t1", "--jobs", str(args.task_jobs))
            pool.start("t2", "--jobs", str(args.task_jobs))
            log(f"tasks: {args.tasks} hello submissions through the broker, 2 workers x {args.task_jobs} jobs")
            tasks = grade("hello", work / "hello", work / "hello-out", "--broker", redis.url)
        finally:
            pool.stop_all()
            redis.stop()
    tasks["orchestrator_cpu_ms_per_task"] = round(tasks["cpu_s"] / args.tasks * 1000, 2)
    tasks["seconds_per_task"] = round(tasks["seconds"] / args.tasks, 3)
    doc = {"class_size": args.class_size, "local_jobs_2": local, "broker_2x1": broker,
           "broker_over_local": round(broker["seconds"] / local["seconds"], 3),
           "tasks": args.tasks, "task_workers": f"2 x {args.task_jobs}", "tasks_run": tasks,
           "estimate": estimate(broker["seconds"] / args.class_size, tasks["cpu_s"] / args.tasks,
                                args.estimate_class, args.estimate_workers),
           "cores": os.cpu_count(), "load_average_before": load_before,
           "load_average_after": [round(x, 2) for x in os.getloadavg()],
           "max_rss_self_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
    print(json.dumps(doc, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
