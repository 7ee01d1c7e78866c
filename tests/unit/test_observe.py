"""Process observers (harness.observe) against processes this test starts itself.

Each child is a tiny Python program that reaches a known state (sleeping in
select, spinning, blocked in read, holding threads, a child, a zombie, a
non-blocking pipe) and says so on stdout; the test then reads /proc through
the observer and compares. No sockets, no sandbox: plain children, killed in
`finally`. Also here: the static observer that reads a submission's source
(harness.probes.discarded_send_calls).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from harness import observe, probes
from harness.waiting import poll

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc observers need Linux")


@contextmanager
def child(code: str) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """Run `code` in a child Python; yield it and the first line it prints (split on spaces)."""
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().split()
        assert line and line[0] == "ready", f"child did not get ready: {line}"
        yield proc, line[1:]
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


SLEEP_IN_SELECT = """
    import select
    print("ready", flush=True)
    select.select([], [], [], 60)
"""

SPIN = """
    print("ready", flush=True)
    while True:
        pass
"""


@linux_only
def test_blocked_in_select_vs_running() -> None:
    with child(SLEEP_IN_SELECT) as (sleeper, _), child(SPIN) as (spinner, _):
        assert poll(lambda: observe.blocked_in(sleeper.pid) in observe.WAITING_FOR_IO, 5)
        assert observe.blocked_in_mode(sleeper.pid) in observe.WAITING_FOR_IO
        assert poll(lambda: observe.blocked_in(spinner.pid) == "running", 5)


@linux_only
def test_blocked_in_read_is_one_client() -> None:
    code = """
        import os
        r, w = os.pipe()
        print("ready", flush=True)
        os.read(r, 1)
    """
    with child(code) as (proc, _):
        assert poll(lambda: observe.blocked_in(proc.pid) == "read", 5)
        assert "read" in observe.BLOCKED_ON_ONE_CLIENT
        assert "read" not in observe.WAITING_FOR_IO


@linux_only
def test_cpu_seconds_sleeper_vs_spinner() -> None:
    with child(SLEEP_IN_SELECT) as (sleeper, _), child(SPIN) as (spinner, _):
        assert poll(lambda: observe.blocked_in(sleeper.pid) in observe.WAITING_FOR_IO, 5)
        before_sleeper = observe.cpu_seconds([sleeper.pid])
        start = observe.cpu_seconds([spinner.pid])
        assert poll(lambda: observe.cpu_seconds([spinner.pid]) - start >= 0.1, 10)
        assert observe.cpu_seconds([sleeper.pid]) - before_sleeper < 0.05


@linux_only
def test_cpu_seconds_of_gone_process_is_zero() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert observe.cpu_seconds([proc.pid]) == 0.0
    assert observe.blocked_in(proc.pid) is None
    assert observe.thread_count(proc.pid) is None
    assert observe.open_fds(proc.pid) is None


@linux_only
def test_thread_count_and_blocked_in_threads() -> None:
    code = """
        import threading
        stop = threading.Event()
        for _ in range(3):
            threading.Thread(target=stop.wait, daemon=True).start()
        print("ready", flush=True)
        stop.wait()
    """
    with child(code) as (proc, _):
        assert observe.thread_count(proc.pid) == 4
        assert poll(lambda: observe.blocked_in_threads([proc.pid]).count("futex") == 4, 5)


@linux_only
def test_children_and_zombies() -> None:
    code = """
        import os, subprocess, sys, time
        sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        dead = os.fork()
        if dead == 0:
            os._exit(0)
        print("ready", sleeper.pid, dead, flush=True)
        time.sleep(60)
    """
    with child(code) as (proc, (sleeper, dead)):
        assert sorted(observe.children(proc.pid)) == sorted([int(sleeper), int(dead)])
        assert poll(lambda: observe.zombies(observe.children(proc.pid)) == [int(dead)], 5)


@linux_only
def test_fd_flags_nonblocking_and_kinds() -> None:
    code = """
        import os, time
        r1, w1 = os.pipe()
        r2, w2 = os.pipe()
        os.set_blocking(r2, False)
        print("ready", r1, r2, flush=True)
        time.sleep(60)
    """
    with child(code) as (proc, (blocking, nonblocking)):
        flags_b = observe.fd_flags(proc.pid, int(blocking))
        flags_n = observe.fd_flags(proc.pid, int(nonblocking))
        assert flags_b is not None and not flags_b & os.O_NONBLOCK
        assert flags_n is not None and flags_n & os.O_NONBLOCK
        assert observe.fd_flags(proc.pid, 999) is None
        fds = observe.open_fds(proc.pid)
        assert fds is not None and int(blocking) in fds and int(nonblocking) in fds
        assert observe.fd_count(proc.pid) == len(fds)
        assert observe.fd_kinds(proc.pid)["pipe"] >= 4  # two pipes, both ends (plus our stdout pipe)
        assert observe.socket_fds(proc.pid) == {}
        assert not observe.socket_states(proc.pid)


@linux_only
def test_blocked_in_samples() -> None:
    with child(SLEEP_IN_SELECT) as (proc, _):
        assert poll(lambda: observe.blocked_in(proc.pid) in observe.WAITING_FOR_IO, 5)
        samples = observe.blocked_in_samples(proc.pid, samples=3, interval=0.001)
        assert len(samples) == 3 and all(s in observe.WAITING_FOR_IO for s in samples)


def test_describe_samples() -> None:
    assert observe.describe_samples(["pselect6", "pselect6", None, "running"]) == \
        "pselect6 x2, unreadable x1, running x1"


# ---- the source observer -------------------------------------------------------------

def test_discarded_send_found_with_line_numbers() -> None:
    source = textwrap.dedent("""\
        import socket
        def flush(s, q):
            s.send(q)
            n = s.send(q)
            del q[:n]
            s.sendall(q)
            if s.send(q) < len(q):
                pass
            return s.send(q)
        async def f(loop, s):
            await s.send(b"x")
        conn.send(b"x"); send(b"y")
    """)
    assert probes.discarded_send_calls(source) == [
        (3, "s.send(q)"), (11, 'await s.send(b"x")'), (12, 'conn.send(b"x")')]


def test_pymotw_send_is_discarded() -> None:
    source = "for s in writable:\n    next_msg = queues[s].get_nowait()\n    s.send(next_msg)\n"
    assert probes.discarded_send_calls(source) == [(3, "s.send(next_msg)")]


def test_discarded_send_syntax_error() -> None:
    with pytest.raises(SyntaxError):
        probes.discarded_send_calls("def f(:\n")
