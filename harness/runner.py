"""Run one lab's checks on one submission and write one results document.

    python3 -m harness.runner --lab-dir assignments/tcp_echo --submission DIR --out results.json

This is the only entry point into the sandbox. It runs next to the student's
program (same network namespace), drives pytest programmatically over the
lab's checks.py with harness.plugin, and writes the Gradescope-shaped document
that grader.results parses. Exit status 0 means "a document was written",
whatever the score.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

SCHEMA_VERSION = 1
COPY_CAP = 64 << 20  # bytes of submission copied into the scratch folder


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="harness.runner", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lab-dir", type=Path, required=True)
    p.add_argument("--submission", type=Path, required=True)
    p.add_argument("--out", required=True, help="results file, or - for stdout")
    p.add_argument("--scratch", type=Path, help="working folder (default: a temporary one)")
    p.add_argument("--include-hidden", action="store_true")
    p.add_argument("--only", help="comma-separated check names")
    p.add_argument("--overrides", default="{}", help="JSON: {check: {points: N, hidden: bool}}")
    p.add_argument("--isolate", choices=["auto", "yes", "no"], default="auto",
                   help="own network namespace (auto: where the kernel allows it)")
    p.add_argument("--student-uid", type=int, help="run the student's program as this uid (Docker)")
    p.add_argument("--explain", action="store_true",
                   help="include the transcript and how to reproduce for passing checks too")
    p.add_argument("--progress", action="store_true", help="progress events on stderr as checks run")
    p.add_argument("--hosts-preset", action="store_true",
                   help="the sandbox already maps the lab's host names (Docker extra_hosts)")
    # Added for the Docker sandbox (grader.backends.docker): RLIMIT_NPROC for the student's
    # uid (unique per container), so a fork bomb cannot take the pids the runner needs.
    p.add_argument("--student-nproc", type=int, help="most processes+threads the student's uid may have")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    warnings: list[str] = []
    isolated = False
    if args.isolate != "no":
        from harness import netns

        try:
            netns.enter_private_namespaces()
            isolated = True
        except OSError as exc:
            if args.isolate == "yes":
                return _write(args.out, error_document(args, f"cannot create a network namespace: {exc}", started))
            warnings.append(
                f"no private network namespace here ({exc}): the program runs on this machine's "
                "normal loopback, and checks that need their own namespace say so")
    try:
        doc = run(args, isolated, warnings, started)
    except Exception as exc:  # noqa: BLE001 - any harness bug becomes an `error` outcome, never a zero
        import traceback

        doc = error_document(args, f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=6)}", started)
    return _write(args.out, doc)


def run(args: argparse.Namespace, isolated: bool, warnings: list[str], started: float) -> dict[str, Any]:
    from harness import plugin
    from harness.launch import Containment
    from harness.session import LabSpec

    lab_dir = args.lab_dir.resolve()
    spec = LabSpec.from_yaml(yaml.safe_load((lab_dir / "assignment.yml").read_text()))
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="grader-run-"))
    work = scratch / "submission"
    out_dir = scratch / "out"
    copy_submission(args.submission, work)
    out_dir.mkdir(parents=True, exist_ok=True)

    if args.student_uid is not None:
        containment = Containment(mode="uid", uid=args.student_uid)
        if args.student_nproc:  # Docker sandbox: see --student-nproc
            containment.rlimits["nproc"] = args.student_nproc
        for path in [work, *work.rglob("*")]:
            os.chown(path, args.student_uid, args.student_uid)
    elif isolated:
        containment = Containment(mode="pidns")
    else:
        containment = Containment(mode="group")

    hosts = spec.extra.get("hosts") or {}
    hosts_ok = args.hosts_preset or not hosts
    if hosts and not hosts_ok:
        if isolated:
            from harness import netns

            try:
                netns.override_hosts(hosts, str(scratch))
                hosts_ok = True
            except OSError as exc:
                warnings.append(f"cannot redirect {', '.join(hosts)} to the grader's fake servers here: {exc}")
        else:
            warnings.append(f"without a private namespace, {', '.join(hosts)} cannot be redirected "
                            "to the grader's fake servers: checks that need them say so")

    compile_error = compile_problem(work / spec.file)
    ctx = plugin.RunContext(
        spec=spec, submission=work, out_dir=out_dir, containment=containment, isolated=isolated,
        hosts_redirected=hosts_ok, explain=args.explain,
        progress=sys.stderr if args.progress else None, include_hidden=args.include_hidden, overrides=json.loads(args.overrides),
        only=set(args.only.split(",")) if args.only else None, compile_error=compile_error)
    plugin.CONTEXT = ctx
    first = compiles_result(spec.file, compile_error)
    plugin.emit({"event": "done", "check": "compiles", "outcome": first["extra_data"]["outcome"],
                 "score": 0.0, "max_score": 0.0, "duration": 0.0})
    log = io.StringIO()
    with contextlib.redirect_stdout(log):
        code = _pytest_main(lab_dir)
    tests = [first] + ctx.results
    if code not in (0, 1):  # pytest could not run the checks: that is our bug
        tests.append(harness_error_result(f"pytest exited with status {code}:\n{log.getvalue()[-3000:]}"))
    if args.scratch is None:
        shutil.rmtree(scratch, ignore_errors=True)
    return document(spec.name, tests, started, warnings, isolated, containment.mode)


def _pytest_main(lab_dir: Path) -> int:
    import pytest

    ini = Path(__file__).with_name("checks.ini")
    return int(pytest.main(
        [str(lab_dir / "checks.py"), "-c", str(ini), "--rootdir", str(lab_dir), "--confcutdir", str(lab_dir),
         "-p", "harness.plugin", "-q", "-s", "--import-mode=importlib", "-W", "ignore::pytest.PytestAssertRewriteWarning"],
    ))


def copy_submission(src: Path, dest: Path) -> None:
    """Copy the submission's regular files (no links, capped) into the scratch folder."""
    dest.mkdir(parents=True, exist_ok=True)
    total = 0
    for path in sorted(src.rglob("*")) if src.is_dir() else [src]:
        if path.is_symlink() or not path.is_file():
            continue
        rel = path.relative_to(src) if src.is_dir() else Path(path.name)
        if any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            continue
        total += path.stat().st_size
        if total > COPY_CAP:
            break
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest / rel)


def compile_problem(path: Path) -> str | None:
    """The compiler's message if the file does not compile (nothing is executed)."""
    try:
        source = path.read_bytes()
    except OSError as exc:
        return f"cannot read {path.name}: {exc.strerror}"
    try:
        compile(source, path.name, "exec", dont_inherit=True)
    except SyntaxError as exc:
        where = f'File "{exc.filename}", line {exc.lineno}'
        text = (exc.text or "").rstrip("\n")
        caret = " " * max(0, (exc.offset or 1) - 1) + "^" if text else ""
        return "\n".join(x for x in [where, "    " + text if text else "", "    " + caret if caret else "",
                                      f"{type(exc).__name__}: {exc.msg}"] if x)
    except ValueError as exc:  # e.g. null bytes
        return f"{type(exc).__name__}: {exc}"
    return None


def compiles_result(file: str, problem: str | None) -> dict[str, Any]:
    ok = problem is None
    output = (f"{file} compiles." if ok else
              f"{file} does not compile, so the program cannot start. Python says:\n{problem}\n\n"
              f"Try it yourself:\n  python3 -m py_compile {file}")
    return {"name": "compiles", "score": 0.0, "max_score": 0.0, "status": "passed" if ok else "failed",
            "output": output, "visibility": "visible",
            "extra_data": {"outcome": "passed" if ok else "failed", "duration": 0.0}}


def harness_error_result(message: str) -> dict[str, Any]:
    return {"name": "harness", "score": 0.0, "max_score": 0.0, "status": "failed",
            "output": "The grader itself failed (not your fault):\n" + message, "visibility": "visible",
            "extra_data": {"outcome": "error", "duration": 0.0}}


def document(lab: str, tests: list[dict[str, Any]], started: float, warnings: list[str],
             isolated: bool, containment: str) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "lab": lab,
        "score": sum(t["score"] for t in tests),
        "max_score": sum(t["max_score"] for t in tests),
        "execution_time": round(time.monotonic() - started, 3),
        "output": "\n".join(warnings),
        "tests": tests,
        "extra_data": {"isolated": isolated, "containment": containment, "warnings": warnings},
    }


def error_document(args: argparse.Namespace, message: str, started: float) -> dict[str, Any]:
    return document(args.lab_dir.name, [harness_error_result(message)], started, [], False, "none")


def _write(out: str, doc: dict[str, Any]) -> int:
    text = json.dumps(doc, indent=1)
    if out == "-":
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
        return 0
    path = Path(out)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
