"""`grader worker`: grade submissions sent through a broker, on this machine.

    grader worker [--broker redis://HOST:6379/0] [--jobs N] [--backend docker|local]
                  [--name NAME] [--visibility-timeout S] [--config grader.yml]

The broker comes from --broker, else grader.yml's `broker:`. The sandbox and
its limits come from this machine's grader.yml (docker unless local is chosen
explicitly), as for `grader grade`; the checks come from this installation
(see grader.scaleout.worker for the version and checks-hash rule).
Runs until SIGTERM or Ctrl-C, which let the tasks in hand finish.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from grader import __version__
from grader.errors import UsageError


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    w = sub.add_parser(
        "worker", help="grade submissions sent through a broker (one per grading machine)",
        description="Start a grading worker: it takes tasks from the broker that `grader grade --broker` sends, "
        "grades each in this machine's sandbox with this installation's checks, and sends the results back. "
        "Every worker must run the same grader version and labs as the orchestrator; a task from a different "
        "one is refused.", epilog="see docs/deploy.md for N machines, a systemd unit and TLS")
    w.add_argument("--broker", help="redis://[:PASSWORD@]HOST[:PORT][/DB] or rediss://... "
                   "(default: grader.yml's broker)")
    w.add_argument("--jobs", type=int, help="sandboxes in parallel (default: grader.yml's jobs, else as `grader grade`)")
    w.add_argument("--backend", choices=["docker", "local"],
                   help="sandbox (default: grader.yml's backend, else docker; local must be chosen explicitly)")
    w.add_argument("--name", help="this worker's name in progress lines and logs (default: grader<pid>@<host>)")
    w.add_argument("--visibility-timeout", type=float, metavar="S",
                   help="seconds after which the broker hands a task of a dead worker to another one; above every "
                   "deadline (default: the largest deadline in grader.yml + 60 s)")
    w.add_argument("--config", type=Path, help="course configuration (default: ./grader.yml if present)")


def cmd_worker(args: argparse.Namespace) -> int:
    from grader.batch_cli import _backend
    from grader.config import find_config, load_config
    from grader.labs import all_labs
    from grader.scaleout.celery_app import DEFAULT_MARGIN, VISIBILITY_MARGIN, check_url, redact
    from grader.scaleout.worker import WorkerSetup, default_name, run_worker

    labs = all_labs()
    config = load_config(find_config(args.config), labs)
    broker = args.broker or config.broker
    if not broker:
        raise UsageError("grader worker: which broker? Pass --broker redis://HOST:6379/0 or set `broker:` "
                         "in grader.yml")
    check_url(broker)
    from grader.batch import default_jobs

    jobs = args.jobs if args.jobs is not None else config.jobs or default_jobs(args.backend or config.backend)
    if jobs < 1:
        raise UsageError("--jobs must be at least 1")
    longest = max([config.deadline(name) for name in labs])
    visibility = args.visibility_timeout or longest + DEFAULT_MARGIN
    if visibility <= VISIBILITY_MARGIN:
        raise UsageError(f"--visibility-timeout must be above {VISIBILITY_MARGIN:g} s")
    backend = _backend(args.backend or config.backend, explicit=args.backend is not None, limits=config.limits)
    from grader.backends import parallel_jobs

    jobs, note = parallel_jobs(backend, jobs)
    if note:
        print(note, file=sys.stderr)
    setup = WorkerSetup(name=args.name or default_name(), backend=backend, labs=labs,
                        visibility_timeout=visibility)
    print(f"grader worker {setup.name}: grader {__version__}, {jobs} {backend.name} sandbox(es), visibility "
          f"timeout {visibility:g} s, {len(labs)} labs, broker {redact(broker)}", file=sys.stderr, flush=True)
    return run_worker(broker, setup, jobs)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"worker": cmd_worker}
