"""The Docker sandbox: one hardened container per submission.

Design: one container, two users (not the "pod" of notes/sandbox.md §2.2).

    container  network_mode="none" (loopback only), read-only root, tmpfs scratch
    ├── docker-init (PID 1, tini)                                root
    └── harness.docker_entry -> harness.runner (pytest, probes)  root, 7 capabilities
        └── harness.contain trampoline  -> the student's program a fresh uid >= 1000000, no capability

Why one container rather than a holder + probe + student pod: the checks
observe the student's processes through /proc (thread and child census,
/proc/<pid>/fd and fdinfo flags, /proc/<pid>/syscall, CPU time). That needs
the observer in the student's PID namespace, which a pod would only give
with a shared PID namespace (pid_mode="container:..."), and then the
observer still needs CAP_SYS_PTRACE over the student: the same trust
boundary as here, with three containers' start-up cost (~0.35 s each) and
cross-container orchestration on top. One container also keeps harness.runner
identical to the local sandbox: the runner starts the program and probes it
over the container's own loopback, exactly as it does on a student's laptop.
The boundary between runner and student is the Unix user, which the kernel
enforces for everything that matters here:

  * the student (a non-root uid of its own) cannot signal or ptrace the root runner, cannot
    read its /proc/<pid>/environ, fd or mem, and `kill(-1, SIGKILL)` reaches
    only its own uid (and only inside this container's PID namespace);
  * the checks, variants and hidden tests live in /opt/grader/assignments
    (mode 0700, root); the reference is not in the image at all;
  * the runner keeps its results in /run/grader (tmpfs, 0700 root) and writes
    the document framed by a nonce on the container's stdout, which no
    student process holds (harness.docker_entry);
  * after setuid to a non-zero uid the student has no capabilities, and
    no-new-privileges stops setuid binaries from giving any back.

Capabilities the runner keeps (everything else is dropped): SETUID/SETGID
(drop the program to its uid), CHOWN (give it its scratch copy), KILL
(signal its process group), SYS_PTRACE + DAC_READ_SEARCH (read
/proc/<pid>/fd, fdinfo, syscall of another uid, and read a submission whatever
its file modes), SYS_NICE (keep the student's processes at nice 19, so a fork
bomb cannot starve the runner: harness.docker_entry). No CAP_SYS_ADMIN: so no per-check network namespace as in the
local sandbox. Instead every check ends with the lab's port clean (harness.leftovers:
harness clients aborted with RST before the program stops, TIME_WAIT removed, the
rest waited for), and the next check demands it clean, else an `error`. Measured
(2026-12-01, 2 cores, load ~13): one /proc/net/tcp read per check, 10-160 ms, and
~0.4 s when a check left 5 TIME_WAITs; the alternative, a container per check, costs
1.4 s each (median of 5 create+start+wait+remove), ~13 s for tcp_echo's 9 checks.
CAP_SYS_ADMIN for the runner would give namespaces at no time cost, but it widens
the seccomp profile (mount, unshare, ...) for everything in the container.

Results come back only from the trusted side: the container's stdout log
(json-file driver, size-capped), between `<nonce> BEGIN` and `<nonce> END`
lines; the nonce is passed in the environment (argv is world-readable in
/proc), is fresh per run, and what is between the lines is still parsed as
untrusted text (grader.results.parse_report). Anything else (engine down,
image missing, container killed at the deadline, runner died) is an `error`
report with a clear message, never a zero.

Clean-up: every container carries labels (owner = host:pid:start time,
job, deadline); it is force-removed in `finally`; a sweep at start removes
containers of owners that are gone or past their deadline; SIGINT/SIGTERM kill
every live container of this process at once (so worker threads return
promptly and remove theirs), and an atexit hook removes any left.

In a batch (`DockerBackend.batch()`, entered by grader.batch.run) the next container is
created and started while one runs (grader.backends.docker_batch): a spare is
live from its creation, so the same clean-up covers it, and the batch does not
return before every one is gone.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import json
import os
import secrets
import shutil
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from grader import docker_engine, image
from grader.backends import DEFAULT_DEADLINE, RunRequest, docker_batch, runner_argv
from grader.backends.docker_batch import Sandbox
from grader.errors import InfrastructureError
from grader.labs import Lab
from grader.paths import data_root
from grader.results import MalformedResult, Report, error_report, parse_report
from grader.scratch import owned_scratch
from harness.schema import parse_progress

LABEL = "edu.socklab.grader.run"  # every container we start carries it (value "1")
STUDENT_UIDS = range(1_000_000, 2_000_000)  # one at random per container: see student_uid()
RUNNER_CAPS = ["SETUID", "SETGID", "CHOWN", "KILL", "SYS_PTRACE", "DAC_READ_SEARCH", "SYS_NICE"]
IMAGE_LABS = "/opt/grader/assignments"  # root-only (0700) in the image
IPV6_LOOPBACK = {"net.ipv6.conf.lo.disable_ipv6": "0", "net.ipv6.conf.all.disable_ipv6": "0"}
LOG_LIMIT = 24 << 20  # bytes of container log kept by the engine (json-file max-size)
STDERR_KEEP = 4000  # characters of the runner's stderr quoted in an error report
SWEEP_GRACE = 60.0  # seconds past a container's deadline label before any sweep removes it


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Resource limits of one sandbox (grader.yml `limits:` maps onto these)."""

    memory_mb: int = 768  # memory == memory+swap; tmpfs pages count too
    cpus: float = 1.0
    pids: int = 256  # processes + threads of the container, runner included
    student_nproc: int = 128  # processes + threads of the student's uid (RLIMIT_NPROC)
    nofile: int = 4096  # container ceiling; the harness gives the program 1024
    fsize_mb: int = 64  # per-file ceiling; the harness gives the program 16 MiB
    scratch_mb: int = 128  # /scratch: the submission's copy and its captured output
    tmp_mb: int = 64  # /tmp, /dev/shm is 16m

    @classmethod
    def from_config(cls, limits: Mapping[str, float]) -> Limits:
        """grader.yml's `limits:` (already checked by grader.config): the keys declared here, the rest ignored."""
        given: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name in limits:
                given[f.name] = float(limits[f.name]) if f.type in (float, "float") else int(limits[f.name])
        return cls(**given)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Blueprint:
    """A request as far as its container is concerned (DockerBackend.blueprint)."""

    key: str
    request: RunRequest
    deadline: float


class DockerBackend:
    name = "docker"
    _spares: docker_batch.Spares[Blueprint] | None = None  # inside batch()

    def __init__(self, *, image_tag: str | None = None, deadline: float | None = None, limits: Limits | None = None,
                 progress: Callable[[str], None] | None = None, sweep: bool = True) -> None:
        """deadline: seconds for one submission (a request's own deadline wins); progress: image-build lines."""
        reason = docker_engine.engine_available()
        if reason is not None:
            raise docker_engine.DockerUnavailable(reason)
        self.limits = limits or Limits()
        self.deadline = deadline
        self.image = image_tag or image.ensure_image(data_root(), progress)
        _install_interrupt_handlers()
        if sweep:
            sweep_stale()

    # ------------------------------------------------------------------ run
    def run(self, request: RunRequest) -> Report:
        lab = request.lab
        started = time.monotonic()
        deadline = request.deadline or self.deadline or DEFAULT_DEADLINE
        try:
            blueprint = self.blueprint(request, deadline)
        except (InfrastructureError, ValueError) as exc:
            return error_report(lab.name, str(exc), time.monotonic() - started)
        spares = self._spares
        sandbox = None
        try:
            sandbox = spares.take(blueprint) if spares is not None else None
            if sandbox is not None and sandbox.staging is not None:
                docker_batch.stage(Path(request.submission).resolve(), sandbox.staging)  # its runner goes on
            else:
                sandbox = self.prepare(blueprint, Path(request.submission).resolve(), epoch=_LIVE.epoch)
                if sandbox is None:
                    return error_report(lab.name, "grading was interrupted", time.monotonic() - started)
                docker_engine.start_container(sandbox.id)
            status = docker_engine.wait_container(sandbox.id, deadline)
            if status is None:
                docker_engine.kill_container(sandbox.id)
                return error_report(lab.name, f"the sandbox did not finish within {deadline:g} s and was killed "
                                              "(a hard wall-clock limit; the checks' own budgets normally end a "
                                              "hanging program long before)", time.monotonic() - started)
            if _LIVE.epoch != sandbox.epoch:
                return error_report(lab.name, "grading was interrupted", time.monotonic() - started)
            if request.progress is not None:
                self._replay_progress(sandbox.id, request.progress)
            return self._collect(lab, sandbox.id, status, sandbox.nonce, started)
        except InfrastructureError as exc:
            return error_report(lab.name, str(exc), time.monotonic() - started)
        except OSError as exc:  # staging the copy: our side's trouble, never the student's zero
            return error_report(lab.name, f"could not copy the submission into its sandbox: {exc}",
                                time.monotonic() - started)
        finally:
            if sandbox is not None:
                dispose(sandbox)  # 0.01 s (measured): not worth a thread of its own

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Grade many submissions: while one runs, the next container is made and started (grader.backends.docker_batch).

        Every container made inside, spare or used, is removed before this returns, also on an exception."""
        with owned_scratch("grader-sandbox-") as root:
            spares: docker_batch.Spares[Blueprint] = docker_batch.Spares(
                lambda bp, staging: self.prepare(bp, staging, epoch=_LIVE.epoch, staged=True),
                dispose, root, lambda: _LIVE.epoch)
            self._spares = spares
            try:
                yield
            finally:
                self._spares = None
                spares.close()

    def blueprint(self, request: RunRequest, deadline: float) -> Blueprint:
        """What every container for this request shares; its key tells when a spare made for one fits another."""
        kwargs = self.container_kwargs(request, request.lab.spec.hosts, request.lab.spec.sysctls, deadline)
        shared = {k: v for k, v in kwargs.items() if k not in ("labels", "volumes")}
        volumes = {src: v for src, v in kwargs["volumes"].items() if v["bind"] != "/submission"}
        key = json.dumps([self.image, self.command(request, 0), shared, volumes, deadline], sort_keys=True)
        return Blueprint(key=key, request=request, deadline=deadline)

    def command(self, request: RunRequest, uid: int, submission: str = "/submission") -> list[str]:
        # --out is added by docker_entry: the document leaves the container only on its own stdout
        return ["python3", "-m", "harness.docker_entry", *runner_argv(
            request, lab_dir=self.lab_dir(request.lab), submission=submission, scratch="/scratch/run",
            isolate="no", student_uid=uid, student_nproc=self.limits.student_nproc, hosts_preset=True)]

    def prepare(self, blueprint: Blueprint, source: Path, *, epoch: int, staged: bool = False) -> Sandbox | None:
        """Create one container with `source` at /submission, for the caller to start; None if interrupted.

        staged: made ahead, and started here at once. `source` is then an empty staging folder, bound at
        /incoming; the runner inside does its imports and waits until its submission appears there as
        /incoming/submission (docker_batch.stage, when a run takes it; harness.docker_entry)."""
        request, deadline = blueprint.request, blueprint.deadline
        wait = docker_batch.SPARE_MAX_AGE if staged else 0.0
        kwargs = self.container_kwargs(request, request.lab.spec.hosts, request.lab.spec.sysctls, deadline + wait,
                                       source=source, mount=docker_batch.INCOMING if staged else "/submission")
        nonce = secrets.token_hex(16)  # fresh per container, never shared: see extract_document
        kwargs["environment"]["GRADER_NONCE"] = nonce
        if staged:  # it outwaits the spare's age limit, so a spare taken in time is always still waiting
            kwargs["environment"]["GRADER_WAIT_FOR"] = f"{docker_batch.STAGED} {wait + SWEEP_GRACE:g}"
        command = self.command(request, student_uid(), submission=docker_batch.STAGED if staged else "/submission")
        try:
            container_id = docker_engine.create_container(self.image, command, **kwargs)
        except BaseException:
            if staged:
                shutil.rmtree(source, ignore_errors=True)
            raise
        sandbox = Sandbox(id=container_id, nonce=nonce, epoch=epoch, created=time.monotonic(),
                          staging=source if staged else None)
        if not _LIVE.add(container_id, epoch):
            dispose(sandbox)
            return None
        if staged:
            try:
                docker_engine.start_container(container_id)
            except BaseException:
                dispose(sandbox)
                raise
        return sandbox

    def _replay_progress(self, container_id: str, progress: Callable[[dict[str, Any]], None]) -> None:
        """The runner's progress events, from the container's stderr once it has ended.

        They arrive late (all at once, not as each check runs) but complete: the
        contract's `progress` is honoured by every backend."""
        err = docker_engine.container_logs(container_id, stdout=False, stderr=True, limit=LOG_LIMIT)
        for line in err.splitlines(keepends=True):
            event = parse_progress(line)
            if event is not None:
                progress(event)

    def _collect(self, lab: Lab, container_id: str, status: int, nonce: str, started: float) -> Report:
        out = docker_engine.container_logs(container_id, stdout=True, stderr=False, limit=LOG_LIMIT)
        body = extract_document(out, nonce)
        if body is None:
            state = docker_engine.container_state(container_id)
            err = docker_engine.container_logs(container_id, stdout=False, stderr=True, tail=60)
            why = f"the check runner exited with status {status} without handing back a results document"
            if state.get("OOMKilled"):
                why = (f"killed: the memory limit of {self.limits.memory_mb} MiB was reached (the check runner "
                       "died with the program and handed back no results document)")
            return error_report(lab.name, f"{why}:\n"
                                          + err.decode("utf-8", "replace")[-STDERR_KEEP:],
                                time.monotonic() - started)
        try:
            report = parse_report(body, lab.name)
        except MalformedResult as exc:
            return error_report(lab.name, f"the sandbox handed back a malformed results document: {exc}",
                                time.monotonic() - started)
        return dataclasses.replace(report, sandbox={**report.sandbox, "backend": "docker"})

    # ------------------------------------------------------------------ container
    def lab_dir(self, lab: Lab) -> str:
        return f"{IMAGE_LABS}/{lab.directory.name}"

    def container_kwargs(self, request: RunRequest, hosts: dict[str, str], sysctls: dict[str, str],
                         deadline: float, source: Path | None = None, mount: str = "/submission") -> dict[str, Any]:
        """source: the folder bound at `mount` (a spare's staging folder), else the request's submission."""
        submission = Path(request.submission).resolve()
        if not submission.is_dir():
            raise ValueError(f"the submission {submission} is not a folder")
        volumes = {str(source or submission): {"bind": mount, "mode": "ro"}}
        lab_dir = request.lab.directory.resolve()
        if lab_dir.parent != (data_root() / "assignments").resolve():
            # a lab the image was not built from: mount it under the root-only folder
            volumes[str(lab_dir)] = {"bind": self.lab_dir(request.lab), "mode": "ro"}
        lim = self.limits
        return dict(  # noqa: C408 - keyword form, as docker-py names its parameters
            user="0:0",
            working_dir="/opt/grader",
            hostname="sandbox",
            environment={"PYTHONPATH": "/opt/grader", "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8",
                         "TZ": "UTC", "PYTHONUNBUFFERED": "1"},
            network_mode="none",
            extra_hosts=hosts or None,
            sysctls={**IPV6_LOOPBACK, **sysctls},
            volumes=volumes,
            read_only=True,
            tmpfs={
                "/scratch": f"rw,noexec,nosuid,nodev,size={lim.scratch_mb}m,mode=0755",
                "/tmp": f"rw,noexec,nosuid,nodev,size={lim.tmp_mb}m,mode=1777",
                "/run/grader": "rw,noexec,nosuid,nodev,size=16m,mode=0700",
            },
            shm_size="16m",
            ipc_mode="private",
            cap_drop=["ALL"],
            cap_add=list(RUNNER_CAPS),
            security_opt=["no-new-privileges:true"],
            privileged=False,
            mem_limit=f"{lim.memory_mb}m",
            memswap_limit=f"{lim.memory_mb}m",
            nano_cpus=int(lim.cpus * 1e9),
            pids_limit=lim.pids,
            ulimits=[
                {"name": "nofile", "soft": lim.nofile, "hard": lim.nofile},
                {"name": "fsize", "soft": lim.fsize_mb << 20, "hard": lim.fsize_mb << 20},
                {"name": "core", "soft": 0, "hard": 0},
            ],
            init=True,
            log_config={"type": "json-file", "config": {"max-size": str(LOG_LIMIT), "max-file": "1"}},
            labels=run_labels(request.lab.name, deadline),
        )


def dispose(sandbox: Sandbox) -> None:
    """Remove a sandbox's container (running or not) and its staging folder; a failure is only a warning."""
    try:
        docker_engine.remove_container(sandbox.id)
        _LIVE.discard(sandbox.id)  # not before: interrupted, the atexit hook retries
    except InfrastructureError as exc:
        print(f"warning: could not remove sandbox container {sandbox.id[:12]} ({exc}); "
              "`grader clean` will", file=sys.stderr)
    if sandbox.staging is not None:
        shutil.rmtree(sandbox.staging, ignore_errors=True)


def student_uid() -> int:
    """A uid for the student's programs, unique to this container with high probability.

    RLIMIT_NPROC counts the processes of a uid across the whole machine (containers
    share the host's uids), so it bounds a fork bomb without touching the runner
    (root) or any other sandbox only if every sandbox has its own student uid.
    The image's passwd names uid 10001 `student`; these uids have no name, which
    nothing in a socket lab needs (HOME and the cwd are set explicitly).
    """
    return STUDENT_UIDS.start + secrets.randbelow(len(STUDENT_UIDS))


def extract_document(stream: bytes, nonce: str) -> bytes | None:
    """The bytes between this run's BEGIN and END lines, or None if they are not both there."""
    begin, end = f"\n{nonce} BEGIN\n".encode(), f"\n{nonce} END\n".encode()
    i = stream.find(begin)
    if i < 0:
        return None
    j = stream.find(end, i + len(begin))
    return None if j < 0 else stream[i + len(begin):j]


# ---------------------------------------------------------------------- labels and sweeping

def _start_time(pid: int) -> str:
    """The kernel's start time of a process (clock ticks since boot), '' if unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def owner_id(pid: int | None = None) -> str:
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}:{pid}:{_start_time(pid)}"


def run_labels(lab: str, deadline: float) -> dict[str, str]:
    return {LABEL: "1", f"{LABEL}.owner": owner_id(), f"{LABEL}.job": secrets.token_hex(6),
            f"{LABEL}.lab": lab, f"{LABEL}.deadline": str(int(time.time() + deadline + SWEEP_GRACE))}


def is_stale(labels: dict[str, str], now: float | None = None) -> bool:
    """A container whose owner process is gone (same host) or whose deadline has passed."""
    now = time.time() if now is None else now
    try:
        if float(labels.get(f"{LABEL}.deadline", "0")) < now:
            return True
    except ValueError:
        return True
    host, _, rest = labels.get(f"{LABEL}.owner", "").partition(":")
    pid_text, _, started = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False  # another machine's: only its deadline tells
    if started:  # Linux: the pid alone could have been reused since
        return _start_time(int(pid_text)) != started
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def sweep_stale(everything: bool = False) -> list[str]:
    """Remove leftovers of crashed runs (or, with everything=True, every container of ours)."""
    removed = []
    for info in docker_engine.list_containers(LABEL):
        if everything or is_stale(info.labels):
            docker_engine.remove_container(info.id)
            removed.append(info.id[:12])
    return removed


# ---------------------------------------------------------------------- interruption

class _LiveContainers:
    """Containers this process is running now; a signal kills them all at once.

    `epoch` grows at every SIGINT/SIGTERM: a run that started before it gives
    up (its container is killed), a run that starts after it proceeds.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ids: set[str] = set()
        self.epoch = 0

    def add(self, container_id: str, epoch: int) -> bool:
        with self.lock:
            self.ids.add(container_id)
            return self.epoch == epoch

    def discard(self, container_id: str) -> None:
        with self.lock:
            self.ids.discard(container_id)

    def cancel(self) -> list[str]:
        with self.lock:
            self.epoch += 1
            return list(self.ids)


_LIVE = _LiveContainers()
_installed = False


def _kill_all(ids: list[str]) -> None:
    for container_id in ids:
        try:
            docker_engine.remove_container(container_id)
        except InfrastructureError:
            pass


def _install_interrupt_handlers() -> None:
    """Chain SIGINT/SIGTERM: kill our live containers, then do what was done before."""
    global _installed  # noqa: PLW0603 - once per process: the handlers chain, they must not stack
    if _installed or threading.current_thread() is not threading.main_thread():
        return
    _installed = True
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(signum)

        def handler(sig: int, frame: Any, previous: Any = previous) -> None:
            ids = _LIVE.cancel()
            if ids:  # a thread: the handler must not block on the engine
                threading.Thread(target=_kill_all, args=(ids,), name="docker-cancel", daemon=True).start()
            if callable(previous):
                previous(sig, frame)
            elif previous != signal.SIG_IGN:
                raise KeyboardInterrupt

        signal.signal(signum, handler)
    atexit.register(_remove_left_at_exit)


def _remove_left_at_exit() -> None:
    ids = _LIVE.cancel()
    if ids:
        print(f"removing {len(ids)} sandbox container(s) left running", file=sys.stderr)
        _kill_all(ids)
