"""What init does about a crowd in the student's PID namespace (local sandbox, harness.contain).

Rule: a fork bomb may fail its own checks, but it takes no CPU the runner or a
neighbour needs. Two steps, both from init's census of its own /proc every
CROWD_EVERY seconds (only with our own /proc, harness.mounts, where every task
listed but init is the student's):

  * a crowd (more than CROWD tasks) goes to SCHED_IDLE; children inherit it.
    More than CROWD processes are stopped (one kill) while init counts and
    renices them, and continued after, unless they are at the limit.
    Docker renices every student process (harness.docker_entry), and there the
    container's CPU share bounds what nice 19 yields to. Here nice 19 would
    yield to everything on the machine and a correct server would start slowly
    on a loaded machine; so only a crowd is reniced: a correct program in these
    labs has a handful of processes and threads, a fork bomb 128 within
    milliseconds.
  * a program at its process limit (RLIMIT_NPROC, counted in its own user
    namespace: every fork it tries fails) is stopped, all of it, for
    AT_LIMIT_PAUSE after every CROWD_EVERY it runs: at most a tenth of its
    SCHED_IDLE share. SCHED_IDLE alone was not enough: 128 tasks that retry
    fork() without pause still took a neighbour about a quarter of a CPU, and
    inside a CPU quota (a container's --cpus) they spent the quota while the
    neighbour slept, which then waited for the next period at every wake-up:
    the reference graded beside a fork bomb missed its 5 s to listen (issue 13).
    Every failed fork also costs kernel time (a task struct allocated, freed
    through RCU) that no scheduling class bounds. The program goes on running
    in slices, as a fork bomb does in Docker within its container's CPU share;
    no correct program of these labs comes near the limit.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # as in harness.contain: no typing import in the launcher
if TYPE_CHECKING:
    import signal
else:  # the same constants; `signal` builds enums, which costs the launcher ~7 ms a start
    import _signal as signal

CROWD = 32  # tasks in the namespace beyond which they all go to SCHED_IDLE (their children inherit it)
CROWD_EVERY = 0.02  # seconds between two counts (a listdir of a small /proc: ~50 us)
AT_LIMIT_PAUSE = 0.18  # seconds a program at its process limit stays stopped after each slice it ran


class Crowd:
    """init's census of the namespace; `tick()` acts on it and says when to call it again."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit  # the program's RLIMIT_NPROC (None: not counted here, never paused)
        self.paused = False
        self.idle: set[str] = set()  # tids already sent to SCHED_IDLE

    def tick(self) -> float:
        """One census (or the end of a pause); returns the seconds until the next tick."""
        if self.paused:
            self.resume()
            return CROWD_EVERY
        pids = _namespace_pids()
        # Many processes: freeze them first (one kill), count and renice while they stand still.
        # A fork bomb just started runs at normal priority, 128 against init's one: a census
        # among them took init seconds, and the neighbour beside it starved just as long.
        frozen = len(pids) > CROWD and _signal_namespace(signal.SIGSTOP)
        tasks = [t for p in pids for t in _tasks(p)]
        if len(tasks) > CROWD:
            self._renice([t for t in tasks if t not in self.idle])
        if self.limit is not None and len(tasks) >= self.limit and (frozen or _signal_namespace(signal.SIGSTOP)):
            self.paused = True
            return AT_LIMIT_PAUSE
        if frozen:
            _signal_namespace(signal.SIGCONT)
        return CROWD_EVERY

    def resume(self) -> None:
        """Let a paused program run again (before a signal from outside must reach it)."""
        if self.paused:
            _signal_namespace(signal.SIGCONT)
            self.paused = False

    def release(self) -> None:
        """Before init exits: the crowd back to SCHED_OTHER, so its tasks are not starved of the
        CPU they need to die (a SCHED_IDLE task on a busy machine may wait seconds to run)."""
        for tid in self.idle:
            try:
                os.sched_setscheduler(int(tid), os.SCHED_OTHER, os.sched_param(0))
            except (OSError, AttributeError):
                pass

    def _renice(self, tids: list[str]) -> None:
        for tid in tids:
            try:  # SCHED_IDLE weighs 3 against nice 19's 15 (nice 0: 1024)
                os.sched_setscheduler(int(tid), os.SCHED_IDLE, os.sched_param(0))
            except (OSError, AttributeError):
                try:
                    os.setpriority(os.PRIO_PROCESS, int(tid), 19)
                except OSError:
                    continue
            self.idle.add(tid)


def _own_proc() -> bool:
    """True when this process is PID 1 of its namespace and /proc is that namespace's."""
    try:
        return os.getpid() == 1 and os.readlink("/proc/self") == "1"
    except OSError:
        return False


def _namespace_pids() -> list[str]:
    """Every process in the namespace but init; [] without our own /proc."""
    if not _own_proc():
        return []
    try:
        return [p for p in os.listdir("/proc") if p.isdigit() and p != "1"]
    except OSError:
        return []


def _tasks(pid: str) -> list[str]:
    try:
        return os.listdir(f"/proc/{pid}/task")
    except OSError:  # it has just exited
        return []


def _signal_namespace(sig: int) -> bool:
    """kill(-1, sig) from PID 1 reaches every process of its namespace but itself, and nothing else.

    Never from anywhere but PID 1 of our own namespace: elsewhere -1 means every
    process this user may signal."""
    if not _own_proc():
        return False
    try:
        os.kill(-1, sig)
    except OSError:  # ESRCH: nobody left
        return False
    return True
