"""harness.never_ready tells a program that waits forever from one that only waits a while.

Real processes (the test's own children, so /proc/PID/syscall is readable):
proof only for calls with no deadline; none for a sleep, a timed wait, a
spinning loop or a thread that still runs.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from harness import never_ready, observe
from harness.waiting import poll

PROGRAMS = {
    "event_wait": ("import threading; threading.Event().wait()", "futex()"),
    "accept": ("import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); s.accept()", ("accept()", "accept4()")),
    "select_forever": ("import select; select.select([], [], [])", ("select()", "pselect6()")),
    "pause": ("import signal; signal.pause()", "pause()"),
    "join_stuck_thread": ("import threading; t = threading.Thread(target=threading.Event().wait); t.start(); t.join()",
                          "futex()"),
    "sleep": ("import time; time.sleep(3600)", None),
    "timed_wait": ("import threading\nwhile True: threading.Event().wait(0.5)", None),
    "select_timeout": ("import select\nwhile True: select.select([], [], [], 0.5)", None),
    "spin": ("while True: pass", None),
    "thread_spins": ("import threading\ndef spin():\n    while True: pass\n"
                     "threading.Thread(target=spin).start(); threading.Event().wait()", None),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_stuck_only_without_a_deadline(name):
    code, expected = PROGRAMS[name]
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        # wait until it has reached its steady state: blocked in something (or, for spinners, running)
        assert poll(lambda: all(observe.blocked_in(proc.pid, t) not in (None,)
                                for t in never_ready._tasks(proc.pid)) and _settled(proc.pid, name), 5)
        found = never_ready.stuck([proc.pid])
        assert found in (expected if isinstance(expected, tuple) else (expected,))  # libc may use accept4, pselect6
    finally:
        proc.kill()
        proc.wait()


def _settled(pid: int, name: str) -> bool:
    calls = [observe.blocked_in(pid, t) for t in never_ready._tasks(pid)]
    if name in ("spin", "thread_spins"):
        return "running" in calls
    if name == "join_stuck_thread":
        return len(calls) == 2 and "running" not in calls
    return calls and all(c not in ("running", None, "read") for c in calls)  # past the interpreter's start-up
