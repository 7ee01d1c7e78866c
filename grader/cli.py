"""The `grader` command line.

    grader list                          the labs
    grader check LAB PATH [--json]       grade one submission (students' pre-check)
    grader selftest [LAB...]             references pass, known-bad variants fail their check
    grader grade LAB SUBMISSIONS --out DIR    grade a whole class (instructors)
    grader worker --broker redis://HOST       grade what `grader grade --broker` sends (one per machine)

Exit status: 0 every check passed, 1 some check failed, 2 usage or bad input,
3 grader or sandbox trouble (an `error` outcome, never a student's zero).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from grader import __version__
from grader.errors import ExitCode, GraderError, UsageError, did_you_mean
from grader.labs import all_labs, get_lab

EPILOG = """exit status: 0 all checks passed, 1 some check failed, 2 usage or bad input,
3 grader or sandbox trouble (never counted against a student)"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="grader", description="Autograder for socket-programming labs: runs a student's server or client "
        "in a sandbox, probes it over real sockets, and explains every failure.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("list", help="list the labs, one line each")

    c = sub.add_parser("check", help="grade one submission (a folder, or the lab's single file)",
                       description="Grade one submission and explain every failed check. Runs in the local "
                       "sandbox by default (no Docker needed).", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("lab", help="the lab's name (see `grader list`)")
    c.add_argument("path", type=Path, help="a folder holding the lab's file, or the file itself")
    c.add_argument("--json", action="store_true", help="print exactly one Gradescope results.json document on stdout")
    c.add_argument("--backend", choices=["local", "docker"], default="local", help="sandbox (default: local)")
    c.add_argument("--only", nargs="+", metavar="CHECK", help="run only these checks")
    c.add_argument("--explain", metavar="CHECK",
                   help="run one check and print everything it did, and how to try it by hand")
    c.add_argument("--include-hidden", action="store_true",
                   help="also run the hidden checks (instructors; the Gradescope autograder uses it)")
    c.add_argument("--config", type=Path, help="course configuration whose points and hidden checks for LAB "
                   "apply (instructors; default: none)")

    s = sub.add_parser("selftest", help="prove the checks: references pass, known-bad variants fail",
                       description="Run every reference (must get full marks) and every known-bad variant (must "
                       "fail the check it declares). With --repeat N, also report any check whose outcome changed "
                       "between runs (flakiness).", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("labs", nargs="*", metavar="LAB", help="labs to test (default: all)")
    s.add_argument("--backend", choices=["local", "docker"], default="local", help="sandbox (default: local)")
    s.add_argument("--jobs", type=int, help="runs in parallel (default: as `grader grade`, 3 per core locally, "
                   "2 per core in Docker)")
    s.add_argument("--repeat", type=int, default=1, help="run everything N times and report changed outcomes")
    s.add_argument("--junit", type=Path, help="also write JUnit XML here")
    s.add_argument("--load", action="store_true",
                   help="keep every core busy with a CPU-bound process meanwhile (determinism under load)")

    for module in _command_modules():
        module.add_parsers(sub)
    return p


def _command_modules() -> list:  # type: ignore[type-arg]
    """Sub-commands that live in their own modules (each has add_parsers(sub) and COMMANDS)."""
    from grader import batch_cli, course_cli, image_cli, worker_cli

    return [batch_cli, image_cli, course_cli, worker_cli]


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM cleans up like Ctrl-C: every `finally` runs


def main(argv: Sequence[str] | None = None) -> int:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return ExitCode.USAGE
    try:
        commands = dict(COMMANDS)
        for module in _command_modules():
            commands.update(module.COMMANDS)
        return int(commands[args.command](args))
    except GraderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        print(f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)", file=sys.stderr)
        return ExitCode.INFRASTRUCTURE


def cmd_list(args: argparse.Namespace) -> int:
    for lab in all_labs().values():
        print(f"{lab.name:<18} {lab.describe():<44} {lab.title}")
    return ExitCode.OK


def cmd_check(args: argparse.Namespace) -> int:
    from grader.backends import RunRequest, get_backend
    from grader.intake import take_in, with_notes
    from grader.reports.terminal import LiveChecks, render
    from grader.scratch import owned_scratch, sweep_abandoned
    from grader.submission import resolve

    lab = get_lab(args.lab)
    for name in ([args.explain] if args.explain else []) + list(args.only or []):
        if name not in lab.check_names():
            raise UsageError(f"lab {lab.name} has no check '{name}'{did_you_mean(name, lab.check_names())}; "
                             f"its checks: {', '.join(lab.check_names())}")
    folder = resolve(lab, args.path)
    sweep_abandoned()
    # A clean copy (a single file ships no neighbours; big extras and outside links are left out, with a note).
    with owned_scratch("grader-check-") as scratch:
        intake = take_in(lab, args.path if args.path.is_file() else folder, scratch / "submission")
        backend = get_backend(args.backend)
        # The Docker sandbox reports when its container is done, not check by check: say so, rather
        # than promise a live list it cannot give.
        live = None if args.json or args.backend == "docker" else LiveChecks(sys.stdout)
        if args.backend == "docker" and not args.json:
            print("(the Docker sandbox shows the checks when its container has finished)", flush=True)
        if live:
            print(f"Checking {lab.name} ({lab.file}) in the {backend.name} sandbox:", flush=True)
        only = (args.explain,) if args.explain else tuple(args.only or ())
        overrides = _course_overrides(args.config, lab.name) if args.config else {}
        report = with_notes(backend.run(RunRequest(
            lab=lab, submission=intake.folder, only=only, explain=bool(args.explain), progress=live,
            include_hidden=args.include_hidden, overrides=overrides)), intake.notes)
    if args.json:
        sys.stdout.write(json.dumps(report.to_json(), indent=1) + "\n")
    else:
        render(report, shown=live.shown if live else None, full_output=bool(args.explain))
    if report.has_error:
        return ExitCode.INFRASTRUCTURE
    return ExitCode.OK if report.all_passed else ExitCode.CHECKS_FAILED


def _course_overrides(config: Path, lab: str) -> dict[str, dict[str, object]]:
    from grader.config import find_config, load_config

    return load_config(find_config(config), all_labs()).lab(lab).overrides()


def cmd_selftest(args: argparse.Namespace) -> int:
    from grader.atomic import write_atomic
    from grader.backends import get_backend, parallel_jobs
    from grader.reports.junit import selftest_junit
    from grader.selftest import (
        change_evidence,
        changed_outcomes,
        cpu_load,
        describe_change,
        print_verdict,
        run_selftest,
    )

    labs = [get_lab(name) for name in args.labs] if args.labs else list(all_labs().values())
    from grader.batch import default_jobs

    if args.jobs is None:
        args.jobs = default_jobs(args.backend)
    if args.repeat < 1 or args.jobs < 1:
        raise UsageError("--repeat and --jobs must be at least 1")
    # warm: the selftest runs every program of every lab, so its runners fork from one zygote
    backend = get_backend(args.backend, warm=True) if args.backend == "local" else get_backend(args.backend)
    jobs, note = parallel_jobs(backend, args.jobs)
    if note:
        print(note, file=sys.stderr)
    try:
        with cpu_load(os.cpu_count() or 1 if args.load else 0):
            runs = run_selftest(labs, backend, jobs, args.repeat, on_verdict=print_verdict())
    finally:
        close = getattr(backend, "close", None)
        if close is not None:
            close()
    verdicts = [v for run in runs for v in run]
    bad = [v for v in verdicts if not v.ok]
    if args.junit:
        write_atomic(args.junit, selftest_junit(verdicts, len(runs)))
    print(f"\n{len(verdicts) - len(bad)} passed, {len(bad)} failed "
          f"({len(runs[0])} programs x {len(runs)} run(s))")
    if args.repeat > 1:
        changed = changed_outcomes(runs)
        print(f"checks whose outcome changed between runs: {sum(len(c) for c in changed.values())}")
        for label, checks in changed.items():
            for check, outcomes in checks.items():
                print(f"  {label} {check}: {describe_change(outcomes)}")
                print("\n".join(change_evidence(runs, label, check)))
        if changed:
            return ExitCode.CHECKS_FAILED
    if any(v.report.has_error for v in bad):
        return ExitCode.INFRASTRUCTURE
    return ExitCode.CHECKS_FAILED if bad else ExitCode.OK


COMMANDS = {"list": cmd_list, "check": cmd_check, "selftest": cmd_selftest}
