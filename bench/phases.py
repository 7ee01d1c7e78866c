"""Where one submission's time goes, from timestamps the grader already keeps.

One correct submission (the reference) and one that hangs (listens, never
accepts) are graded in this process, through the backend itself, with
`explain` on, so every check's transcript comes back with its timestamps:
`started` (the program), `listening on TCP port` (readiness seen), the last
probe event. Around them:

    sandbox set-up     Docker: container create + start (timed around grader.docker_engine's calls on the
                       run's own thread: graded as in a batch, after one warm-up run, so a container made
                       ahead is ready, and what the batch does behind the run is not counted)
    runner start       local: from the call until the runner's first progress event (interpreter, imports,
                       namespaces, copy); Docker: the container's run minus the runner's own execution_time
                       (interpreter, imports, and its exit)
    check set-up       per check, from its start until the program is started (fresh namespace, fresh copy)
    program start      `started` -> `listening` (launcher, student interpreter, readiness poll)
    probes             `listening` -> the last transcript event (the probes, and their waits)
    stop               the rest of the check: stopping the program, port clean-up
    result writing     local: last check -> back in the orchestrator; Docker: logs, parse, remove

The latency floor of a correct submission is its probes (the waits the checks
need) plus one program start per check at its fastest.
"""

from __future__ import annotations

import os
import re
import resource
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import classes
from grader import docker_engine
from grader.backends import RunRequest, batch_session, get_backend
from grader.labs import all_labs
from grader.results import Report

EVENT = re.compile(r"^\s+(\d+\.\d+)s\s+(\S+) (?:->|<-|\*) (.*)$")
WRAPPED = ("create_container", "start_container", "wait_container", "container_logs", "remove_container")
SUBJECTS = ("reference", "never_accepts")
DESCRIBED = {"reference": "the reference solution", "never_accepts": "listens on the port but never accepts (a hang)",
             "never_replies": "accepts and reads but never answers (a hang)"}


CONTAINER_CPU = ("/sys/fs/cgroup/cpuacct/docker/{}/cpuacct.usage",  # cgroup v1, cgroupfs driver: ns
                 "/sys/fs/cgroup/docker/{}/cpu.stat")  # v2: usage_usec


def container_cpu_s(container_id: str) -> float:
    """CPU seconds the container has used (0.0 where its cgroup is not readable here)."""
    for pattern in CONTAINER_CPU:
        try:
            text = Path(pattern.format(container_id)).read_text()
        except OSError:
            continue
        if text.startswith("usage_usec"):
            return int(text.split()[1]) / 1e6
        return int(text) / 1e9
    return 0.0


SAMPLE = 0.02  # seconds between two reads of a running container's CPU time


class _Sampler:
    def __init__(self, container_id: str) -> None:
        self.container_id, self.last, self.done = container_id, 0.0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.done.wait(SAMPLE):
            self.last = max(self.last, container_cpu_s(self.container_id))

    def stop(self) -> float:
        self.done.set()
        self.thread.join()
        return self.last


@contextmanager
def engine_timings(thread: int | None = None) -> Iterator[dict[str, float]]:
    """Seconds spent in each of grader.docker_engine's container calls while inside (and `cpu`: the CPU
    seconds of the containers waited for meanwhile, sampled every SAMPLE s while they run: the engine
    removes a container's cgroup as it exits, so its last few ms are not counted). thread: count only the
    calls made on that thread (threading.get_ident())."""
    spent: dict[str, float] = dict.fromkeys((*WRAPPED, "cpu"), 0.0)
    originals = {name: getattr(docker_engine, name) for name in WRAPPED}

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kw: Any) -> Any:
            if thread is not None and threading.get_ident() != thread:
                return fn(*args, **kw)
            start = time.monotonic()
            sampler = _Sampler(args[0]) if name == "wait_container" else None
            try:
                return fn(*args, **kw)
            finally:
                spent[name] += time.monotonic() - start
                if sampler is not None:
                    spent["cpu"] += sampler.stop()
        return call

    for name, fn in originals.items():
        setattr(docker_engine, name, timed(name, fn))
    try:
        yield spent
    finally:
        for name, fn in originals.items():
            setattr(docker_engine, name, fn)


def check_phases(report: Report) -> dict[str, float]:
    """Summed over the checks: check set-up, program start, probes, stop (seconds), from the transcripts;
    and the number of checks and the fastest program start among them."""
    sums = dict.fromkeys(("checks", "check_setup", "program_start", "probes", "stop", "n_checks"), 0.0)
    fastest = float("inf")
    for test in report.tests:
        if test.name == "compiles":
            continue
        times = [(float(m.group(1)), m.group(3)) for m in map(EVENT.match, test.output.splitlines()) if m]
        sums["checks"] += test.duration
        sums["n_checks"] += 1
        if not times:
            continue
        starts = [t for t, text in times if text.startswith("started `")]
        ready = [t for t, text in times if text.startswith("listening on")]
        first = starts[0] if starts else times[0][0]
        sums["check_setup"] += first
        pairs = [r - s for s, r in zip(starts, ready)]  # every start that got as far as listening
        start_time = sum(pairs)
        fastest = min([fastest, *pairs])
        sums["program_start"] += start_time
        sums["probes"] += max(0.0, times[-1][0] - first - start_time)
        sums["stop"] += max(0.0, test.duration - times[-1][0])
    sums["fastest_start"] = fastest if fastest != float("inf") else 0.0
    return sums


def zygote_children_cpu_s(backend: Any) -> float:
    """CPU seconds of the runners the local backend's warm zygote has forked and reaped (its cutime +
    cstime): they are not our children, so RUSAGE_CHILDREN never sees them."""
    warm = getattr(backend, "_warm", None)
    proc = getattr(warm, "_proc", None)
    if proc is None:
        return 0.0
    try:
        fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")  # cutime, cstime (stat(5) 16, 17)


def one(backend_name: str, folder: Path) -> dict[str, Any]:
    lab = all_labs()["tcp_echo"]
    events: list[float] = []
    started = time.monotonic()
    backend = get_backend(backend_name)
    set_up = time.monotonic() - started

    def request(submission: Path) -> RunRequest:
        return RunRequest(lab=lab, submission=submission, explain=True, include_hidden=True,
                          progress=lambda _e: events.append(time.monotonic()))

    with batch_session(backend), engine_timings(threading.get_ident()) as spent:
        _warm_up(backend, request(lab.reference))
        events.clear()
        spent.update(dict.fromkeys(spent, 0.0))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        zygote_before = zygote_children_cpu_s(backend)
        call = time.monotonic()
        report = backend.run(request(folder))
        total = time.monotonic() - call
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        zygote_cpu = zygote_children_cpu_s(backend) - zygote_before
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime + spent["cpu"] + zygote_cpu
    row: dict[str, Any] = {"cpu_s": cpu, "backend_init": set_up, "total": total, "score": report.score,
                           "max_score": report.max_score, "runner_execution": report.execution_time,
                           **check_phases(report)}
    if backend_name == "docker":
        row["sandbox_setup"] = spent["create_container"] + spent["start_container"]
        row["runner_start"] = max(0.0, spent["wait_container"] - report.execution_time)
        row["result_writing"] = spent["container_logs"] + spent["remove_container"]
    else:
        row["sandbox_setup"] = 0.0  # the runner makes its own namespaces: inside runner start
        row["runner_start"] = (events[0] - call) if events else 0.0
        row["result_writing"] = (call + total - events[-1]) if events else 0.0
    accounted = ("sandbox_setup", "runner_start", "checks", "result_writing")
    row["other"] = max(0.0, total - sum(row[k] for k in accounted))
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}


def _warm_up(backend: Any, request: RunRequest, timeout: float = 60.0) -> None:
    """One run, as the batch's first; then wait (at most timeout s) until the next container is made ahead."""
    backend.run(request)
    spares = getattr(backend, "_spares", None)
    deadline = time.monotonic() + timeout
    while spares is not None and spares.waiting() == 0 and time.monotonic() < deadline:
        time.sleep(0.01)


def section(backends: list[str], work: Path, kinds: list[str] | tuple[str, ...] = SUBJECTS) -> dict[str, Any]:
    subjects = {}
    for n, kind in enumerate(kinds):
        folder = work / kind
        folder.mkdir(parents=True)
        (folder / "echo_server.py").write_bytes(classes.tcp_echo_source(kind, n))
        subjects[kind] = folder
    rows = {f"{kind} {backend}": one(backend, folder) for kind, folder in subjects.items() for backend in backends}
    ref = {b: rows[f"reference {b}"] for b in backends}
    # The latency floor: the probes' own waits plus one program start per check at the fastest seen.
    floor = {b: round(r["probes"] + r["n_checks"] * r["fastest_start"], 3) for b, r in ref.items()}
    return {"subjects": {k: DESCRIBED.get(k, "the known-bad variant of that name") for k in kinds},
            "rows": rows, "latency_floor_s": floor}

