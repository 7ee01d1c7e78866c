"""harness.probes.eof_reset._poll_while_busy: a wait goes on while the program computes, not while it idles.

survives_reset once waited a fixed 2 s for the server to close client A or wait to read; a server that
hashed its log for longer (as under load) was taken for one that had closed A by itself.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from harness import observe
from harness.probes.eof_reset import _poll_while_busy
from harness.waiting import poll


class Program:
    """The two things the wait asks of a StudentProgram."""

    def __init__(self, code: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", code])

    def pids(self) -> list[int]:
        return [self.proc.pid] if self.proc.poll() is None else []

    def running(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


@pytest.mark.timeout(120)
def test_a_computing_program_is_waited_for_past_the_quiet_window() -> None:
    # 2.5 s of CPU time, not of the clock: on a busy machine it then computes through every window however
    # little of a core it gets (and is runnable meanwhile), as a server hashing its log does.
    program = Program("import time\nwhile time.process_time() < 2.5: pass")
    try:
        started = time.monotonic()
        state = _poll_while_busy(program, lambda: not program.running() or None, quiet=1.0, cap=90.0)  # type: ignore[arg-type]
        assert state is True and time.monotonic() - started >= 2.4
    finally:
        program.close()


@pytest.mark.timeout(60)
def test_an_idle_program_gets_one_quiet_window() -> None:
    program = Program("import time\ntime.sleep(20)")
    try:
        assert poll(lambda: observe.all_asleep(program.pids()), 10)  # past its start-up's CPU
        started = time.monotonic()
        state = _poll_while_busy(program, lambda: not program.running() or None, quiet=1.0, cap=30.0)  # type: ignore[arg-type]
        assert state is None and time.monotonic() - started < 10
    finally:
        program.close()
