"""The local sandbox: the check runner as a child process in its own namespaces.

The runner (harness.runner) moves itself into a fresh user + network
namespace and starts each student program in a PID namespace of its own, so
50 submissions that all bind port 9000 can run side by side and nothing a
submission starts survives it. This process only starts the runner, enforces
an outer wall-clock deadline, and reads back the results document.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import cache
from pathlib import Path
from typing import IO, Any

from grader import cpu_quota
from grader.backends import DEFAULT_DEADLINE, RunRequest, runner_argv
from grader.backends.warm import WarmProcess, WarmStart
from grader.errors import UsageError
from grader.paths import harness_root
from grader.results import MalformedResult, Report, error_report, parse_report
from grader.scratch import owned_scratch
from harness.schema import PROGRESS_PREFIX, parse_progress

STDERR_KEEP = 4000  # characters of the runner's stderr kept for an error report


def isolation_missing() -> str:
    """One line naming what this machine refuses of the local sandbox ('' when it is complete)."""
    env = {**os.environ, "PYTHONPATH": str(harness_root())}
    try:
        done = subprocess.run([sys.executable, "-P", "-m", "harness.local_sandbox"], capture_output=True, text=True,
                              env=env, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"weaker local sandbox, missing: everything (the probe did not run: {exc})"
    if done.returncode != 0:
        return f"weaker local sandbox, missing: everything (the probe failed: {done.stderr.strip()[-300:]})"
    return done.stdout.strip()


@cache
def _no_private_network() -> str:
    """Why a runner here would get no network namespace of its own ('' when it would): a child tries."""
    env = {**os.environ, "PYTHONPATH": str(harness_root())}
    code = "from harness import netns; netns.enter_private_namespaces()"
    try:
        done = subprocess.run([sys.executable, "-P", "-c", code], capture_output=True, text=True, env=env,
                              timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    return "" if done.returncode == 0 else (done.stderr.strip().splitlines() or ["it failed"])[-1]


CPUS = 1.0  # per submission, as grader.backends.docker.Limits.cpus: one limit on both back-ends


@cache
def _cpu_quota() -> cpu_quota.CpuQuota | None:
    """Where this process can make sandbox cgroups (looked up once: it tries a mkdir)."""
    found = cpu_quota.CpuQuota.find()
    if found is not None:
        cpu_quota.sweep()
    return found


@cache
def _compile_harness() -> None:
    """Write harness/__pycache__ where we may. The runner cannot once it is in its namespaces (its
    root there is nobody to this checkout), so it compiled most of the harness at every start: 40 ms
    of a 0.37 s runner start (cProfile). Stale files only; a read-only install is left as it is."""
    import compileall

    with contextlib.suppress(OSError):
        for package in ("harness", "grader"):  # grader too: with PYTHONDONTWRITEBYTECODE set, its CLI compiled
            compileall.compile_dir(str(harness_root() / package), quiet=2)  # 20 modules per start (40 ms)


ISOLATE_VAR = "GRADER_ISOLATE"  # auto | yes | no: see LocalBackend
ISOLATE_CHOICES = ("auto", "yes", "no")


class LocalBackend:
    """isolate: a private network namespace for the runner and a fresh one per check
    ("auto": where Linux allows it, else the shared-loopback fallback with a warning;
    "yes": demand it; "no": force the fallback, as on macOS or in a container without
    CAP_SYS_ADMIN such as Gradescope's). Default: $GRADER_ISOLATE, else "auto", so a
    test or a user can force the fallback of any `grader` command:
    `GRADER_ISOLATE=no grader check tcp_echo my_folder/`.

    cpus: the CPU quota of each submission's process tree (grader.cpu_quota), where the
    machine lets us set one; `cpu_quota_note` says in one line when it does not.

    warm: fork each run's runner from one process that has imported pytest and the harness
    (grader.backends.warm), for batches: it saves ~0.2 s of CPU per submission.
    """

    name = "local"

    def __init__(self, isolate: str | None = None, cpus: float = CPUS, warm: bool = False) -> None:
        isolate = isolate or os.environ.get(ISOLATE_VAR) or "auto"
        if isolate not in ISOLATE_CHOICES:
            raise UsageError(f"{ISOLATE_VAR}={isolate!r}: expected one of {', '.join(ISOLATE_CHOICES)}")
        self.isolate = isolate
        self.cpus = cpus
        self.quota = _cpu_quota() if cpus > 0 else None
        self.cpu_quota_note = "" if self.quota is not None or cpus <= 0 else cpu_quota.why_missing()
        _compile_harness()
        self.warm = warm
        self._warm: WarmStart | None = None
        self._warm_lock = threading.Lock()

    @property
    def serial_reason(self) -> str:
        """Why runs here must go one at a time ('' when they may go in parallel): without namespaces
        every program binds the same port of this machine's loopback (see grader.backends.parallel_jobs)."""
        if self.isolate == "no":
            return f"{ISOLATE_VAR}=no"
        if self.isolate == "auto":
            why = _no_private_network()
            return f"no private network namespace here ({why})" if why else ""
        return ""  # "yes": a run without its namespace ends in an error, never on the shared loopback

    def _zygote(self, env: dict[str, str]) -> WarmStart | None:
        if not self.warm:
            return None
        with self._warm_lock:
            if self._warm is None:
                self._warm = WarmStart(env)
            return self._warm

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Around a batch (grader.backends.batch_session): runners forked from one warm zygote, stopped after."""
        was, self.warm = self.warm, True
        try:
            yield
        finally:
            self.warm = was
            self.close()

    def close(self) -> None:
        """Stop the warm runner's zygote, if one was started (it also stops when this process exits)."""
        with self._warm_lock:
            if self._warm is not None:
                self._warm.close()
                self._warm = None

    def _cgroup(self) -> AbstractContextManager[Path | None]:
        return self.quota.sandbox(self.cpus) if self.quota is not None else nullcontext(None)

    def run(self, request: RunRequest) -> Report:
        lab = request.lab
        deadline = request.deadline or DEFAULT_DEADLINE
        started = time.monotonic()
        # owned_scratch, not TemporaryDirectory: a grader killed mid-run (SIGKILL, a closed pipe) leaves
        # a folder that the next start's sweep_abandoned removes.
        with owned_scratch("grader-local-") as tmp, self._cgroup() as procs:
            out = Path(tmp) / "results.json"
            errlog = Path(tmp) / "runner.stderr"
            # -P: `-m` would otherwise put the user's current folder first on sys.path, so a harness/
            # (or harness.py) there, a student's own for instance, would shadow the grader's.
            args = runner_argv(request, lab_dir=str(lab.directory), submission=str(request.submission), out=str(out),
                               scratch=str(Path(tmp) / "scratch"), isolate=self.isolate)
            argv = [sys.executable, "-P", "-m", "harness.runner", *args]
            # Bytecode caching stays on: without harness/__pycache__ every run compiled the harness again
            # (40 ms of a 0.37 s runner start, measured with cProfile).
            env = {**os.environ, "PYTHONPATH": str(harness_root())}
            with open(errlog, "wb") as err:
                proc: subprocess.Popen[bytes] | WarmProcess | None = None
                zygote = self._zygote(env)
                if zygote is not None:
                    proc = zygote.spawn(args, env, os.getcwd(), str(procs) if procs is not None else None,
                                        err.fileno(), None if request.progress else err.fileno())
                if proc is None:
                    if procs is not None:
                        argv = cpu_quota.entering(procs, argv)
                    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=err,
                                            stderr=subprocess.PIPE if request.progress else err,
                                            env=env, start_new_session=True)
                relay = None
                if request.progress and proc.stderr is not None:
                    relay = threading.Thread(target=_relay, args=(proc.stderr, err, request.progress), daemon=True)
                    relay.start()
                try:
                    _wait(proc, deadline)
                except subprocess.TimeoutExpired:
                    _kill_group(proc)
                    return error_report(lab.name, f"the sandbox did not finish within {deadline:g} s and was killed",
                                        time.monotonic() - started)
                except BaseException:
                    _kill_group(proc)  # Ctrl-C: nothing of ours survives
                    raise
                finally:
                    if relay is not None:
                        relay.join(5)
                    if proc.stderr is not None:
                        proc.stderr.close()
            _kill_group(proc)
            stderr = errlog.read_text(errors="replace")[-STDERR_KEEP:]
            try:
                text = out.read_bytes()
            except OSError:
                return error_report(lab.name, f"the check runner exited with status {proc.returncode} "
                                              f"without writing results:\n{stderr}", time.monotonic() - started)
            try:
                report = parse_report(text, lab.name)
            except MalformedResult as exc:
                return error_report(lab.name, str(exc), time.monotonic() - started)
        return report


def _relay(pipe: IO[bytes], log: IO[bytes], progress: Callable[[dict[str, Any]], None]) -> None:
    """Forward the runner's progress events; everything else goes to the log."""
    prefix = PROGRESS_PREFIX.encode()
    for line in pipe:
        event = parse_progress(line)
        if event is not None:
            progress(event)
        elif not line.startswith(prefix):
            log.write(line)


def _wait(proc: subprocess.Popen[bytes] | WarmProcess, timeout: float) -> None:
    """proc.wait(timeout), but noticing the exit at once: Popen.wait with a timeout polls, sleeping up to
    50 ms between looks, so a run ended ~25 ms before we knew. A pidfd (Linux >= 5.3) is readable the
    moment the process exits."""
    if isinstance(proc, subprocess.Popen) and hasattr(os, "pidfd_open"):
        try:
            fd = os.pidfd_open(proc.pid)
        except OSError:
            fd = -1
        if fd >= 0:
            try:
                if not select.select([fd], [], [], timeout)[0]:
                    raise subprocess.TimeoutExpired(proc.args, timeout)
            finally:
                os.close(fd)
    proc.wait(timeout=timeout)


def _kill_group(proc: subprocess.Popen[bytes] | WarmProcess) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    proc.wait()
