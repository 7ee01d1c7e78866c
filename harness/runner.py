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
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

from harness.schema import CheckResult, Report, cap_feedback

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
                return _write(args.out, error_document(args.lab_dir.name, f"cannot create a network namespace: {exc}",
                                                       started))
            warnings.append(
                f"no private network namespace here ({exc}): the program runs on this machine's "
                "normal loopback, and checks that need their own namespace say so")
    try:
        doc = run(args, isolated, warnings, started)
    except Exception as exc:  # noqa: BLE001 - any harness bug becomes an `error` outcome, never a zero
        import traceback

        doc = error_document(args.lab_dir.name, f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=6)}",
                             started)
    return _write(args.out, doc)


def run(args: argparse.Namespace, isolated: bool, warnings: list[str], started: float) -> Report:
    from harness.labspec import load_spec
    from harness.launch import Containment, student_env, uses_spawner

    lab_dir = args.lab_dir.resolve()
    spec = load_spec(lab_dir)
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="grader-run-"))
    scratch.mkdir(parents=True, exist_ok=True)
    student_env(str(scratch))
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
    elif isolated:  # the local sandbox: its view of the filesystem, its own user namespace (harness.local_sandbox)
        containment = _local_containment(work, lab_dir, scratch, warnings)
    else:
        containment = Containment(mode="group")

    hosts_ok, restore_hosts = redirect_hosts(spec.hosts, args.hosts_preset, isolated,
                                             scratch, warnings)

    if uses_spawner(containment.mode):
        # The programs' fork server starts now, in the namespaces they need (after the hosts
        # redirection's mount namespace), so its interpreter starts while this one imports pytest:
        # the first check no longer waits ~35 ms for it.
        from harness import spawner

        spawner.spawner()
    from harness import plugin

    compile_error = compile_problem(work / spec.file)
    ctx = plugin.RunContext(
        spec=spec, submission=work, out_dir=out_dir, containment=containment, isolated=isolated,
        hosts_redirected=hosts_ok, explain=args.explain,
        progress=sys.stderr if args.progress else None, include_hidden=args.include_hidden,
        overrides=json.loads(args.overrides),
        only=set(args.only.split(",")) if args.only else None, compile_error=compile_error,
        source=args.submission)
    first = compiles_result(spec.file, compile_error)
    plugin.emit_done(ctx, first)
    log = io.StringIO()
    try:
        with contextlib.redirect_stdout(log):
            code = _pytest_main(lab_dir, plugin.RunContextPlugin(ctx))
    finally:
        restore_hosts()
        from harness import spawner

        spawner.close()
    tests = [first, *ctx.results]
    if code not in (0, 1):  # pytest could not run the checks: that is our bug
        tests.append(harness_error_result(f"pytest exited with status {code}:\n{log.getvalue()[-3000:]}"))
    if args.scratch is None:
        if isolated:
            from harness.mounts import release_work

            release_work(str(work))  # the local sandbox's tmpfs on it (harness.mounts.cap_work)
        shutil.rmtree(scratch, ignore_errors=True)
    return document(spec.name, tests, started, warnings, isolated, containment.mode)


def _local_containment(work: Path, lab_dir: Path, scratch: Path, warnings: list[str]) -> Any:
    from harness import local_sandbox, netns

    containment = local_sandbox.containment(work, lab_dir, scratch, netns.OUTSIDE_UID)
    line = local_sandbox.missing_line(local_sandbox.probe(containment))
    if line:
        warnings.append(line)
    return containment


def redirect_hosts(hosts: dict[str, str], preset: bool, isolated: bool, scratch: Path,
                   warnings: list[str]) -> tuple[bool, Callable[[], None]]:
    """Point the lab's `hosts:` names at the fake servers where this sandbox allows it.

    Returns (redirected, the function that undoes it). Docker presets them
    (extra_hosts); a private namespace gets a private /etc/hosts; a throwaway
    container without namespaces (Gradescope) may edit its own (HOSTS_FILE_VAR).
    """
    if preset or not hosts:
        return True, lambda: None
    if isolated:
        from harness import netns

        try:
            netns.override_hosts(hosts, str(scratch))
            return True, lambda: None
        except OSError as exc:
            warnings.append(f"cannot redirect {', '.join(hosts)} to the grader's fake servers here: {exc}")
            return False, lambda: None
    if os.environ.get(HOSTS_FILE_VAR) == "1":
        try:
            return True, append_to_etc_hosts(hosts)
        except OSError as exc:
            warnings.append(f"cannot add {', '.join(hosts)} to /etc/hosts here: {exc}")
            return False, lambda: None
    warnings.append(f"without a private namespace, {', '.join(hosts)} cannot be redirected in /etc/hosts: "
                    "the checks tell the program where the grader's fake servers are instead")
    return False, lambda: None


# A throwaway container without namespaces (the exported Gradescope autograder sets it in
# run_autograder): the runner is root there and may add the lab's host names to the
# container's own /etc/hosts for the run, as Docker's extra_hosts does for our own sandbox.
# Never by default: on a real machine /etc/hosts is the machine's, not the grader's.
HOSTS_FILE_VAR = "GRADER_EDIT_ETC_HOSTS"
_HOSTS_MARK = "# added by the grader for this run: handout host names lead to its fake servers\n"


def append_to_etc_hosts(entries: dict[str, str], path: Path = Path("/etc/hosts")) -> Callable[[], None]:
    """Add `entries` to /etc/hosts; return the function that puts the original back."""
    original = path.read_text()
    path.write_text(original.rstrip("\n") + "\n" + _HOSTS_MARK
                    + "".join(f"{ip} {name}\n" for name, ip in entries.items()))

    def restore() -> None:
        with contextlib.suppress(OSError):
            path.write_text(original)
    return restore


# pytest's built-in plugins no check uses (`-p no:NAME`; a name an older pytest lacks is ignored).
# unraisableexception alone cost 21 ms per run in gc.collect() at session end (cProfile).
# (Not faulthandler: without it a run took 1.3 s longer to exit.)
_UNUSED_PLUGINS = [arg for name in ("unraisableexception", "threadexception", "doctest", "junitxml", "pastebin",
                                    "unittest", "subtests", "cacheprovider", "terminalprogress",
                                    "nose", "legacypath", "tmpdir", "stepwise", "setuponly", "setupplan", "recwarn",
                                    "monkeypatch", "logging", "debugging")
                   for arg in ("-p", f"no:{name}")]


def _pytest_main(lab_dir: Path, context: object) -> int:
    """pytest over the lab's checks.py, with harness.plugin and the run's context (`context`)."""
    import pytest

    # Only the plugins the checks need, whatever else this machine's pytest has installed: a plugin
    # such as pytest-randomly would reorder checks on one machine and not another (one score everywhere),
    # and scanning every installed package's entry points costs ~35 ms per run.
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    ini = Path(__file__).with_name("checks.ini")
    return int(pytest.main(
        [str(lab_dir / "checks.py"), "-c", str(ini), "--rootdir", str(lab_dir), "--confcutdir", str(lab_dir),
         "-p", "pytest_timeout", "-p", "harness.plugin", *_UNUSED_PLUGINS, "-q", "-s", "--import-mode=importlib", "-W", "ignore::pytest.PytestAssertRewriteWarning",
         "--tb=no"],  # no one reads pytest's own tracebacks (harness.plugin words each failure): ~0.1 s each
        plugins=[context],
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


def compiles_result(file: str, problem: str | None) -> CheckResult:
    ok = problem is None
    output = (f"{file} compiles." if ok else
              f"{file} does not compile, so the program cannot start. Python says:\n{problem}\n\n"
              f"Try it yourself:\n  python3 -m py_compile {file}")
    return CheckResult(name="compiles", score=0.0, max_score=0.0, outcome="passed" if ok else "failed",
                       output=output)


def harness_error_result(message: str) -> CheckResult:
    return CheckResult(name="harness", score=0.0, max_score=0.0, outcome="error",
                       output="The grader itself failed (not your fault):\n" + message)


def document(lab: str, tests: list[CheckResult], started: float, warnings: list[str],
             isolated: bool, containment: str) -> Report:
    """The run's results document (harness.schema), every check's feedback capped.

    Warnings about the sandbox are for staff (extra_data), not the student's top-level output."""
    return Report(lab=lab, tests=tuple(replace(t, output=cap_feedback(t.output)) for t in tests),
                  execution_time=round(time.monotonic() - started, 3), warnings=tuple(warnings),
                  sandbox={"isolated": isolated, "containment": containment})


def error_document(lab: str, message: str, started: float, containment: str = "none") -> Report:
    return document(lab, [harness_error_result(message)], started, [], False, containment)


def _write(out: str, doc: Report) -> int:
    text = doc.to_text(indent=1)
    if out == "-":
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
        return 0
    path = Path(out)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    return 0


def exit_now(code: int) -> NoReturn:
    """End the process once its document is written: the clean-ups registered with atexit (the
    student venv's folder), then no interpreter teardown. That teardown (pytest and the harness
    loaded, every module's objects freed) took 30-40 ms of a 0.7 s `grader check`, after the
    results were already on disk."""
    with contextlib.suppress(BaseException):
        import atexit

        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
