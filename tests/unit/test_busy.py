"""harness.slow_reader's spin measurement: a busy loop reads as spinning however the window's ends fall."""

import subprocess
import sys

import pytest

from harness.slow_reader import Busy, busy_over


def test_a_wait_still_going_on_at_the_end_does_not_hide_a_busy_loop():
    # schedstat missed the last 110 ms the loop waited for a CPU (counted only once the wait ends);
    # every look during the window saw it running or ready to run
    busy = Busy(cpu=0.2, runnable=0.39, sleeps=0, wall=0.5, looks=48, awake=48)
    assert busy.fraction == 1.0
    assert busy.spinning()


def test_a_client_asleep_in_select_is_not_spinning():
    assert not Busy(cpu=0.0, runnable=0.0, sleeps=1, wall=0.5, looks=50, awake=0).spinning()


def test_a_loop_around_sleep_is_not_spinning_even_when_always_seen_awake():
    assert not Busy(cpu=0.1, runnable=0.45, sleeps=40, wall=0.5, looks=50, awake=50).spinning()


def test_too_few_looks_leave_the_schedstat_estimate_alone():
    busy = Busy(cpu=0.2, runnable=0.3, sleeps=0, wall=0.5, looks=3, awake=3)
    assert busy.fraction == pytest.approx(0.6)
    assert not busy.spinning()


@pytest.mark.parametrize(("code", "spins"), [("while True: pass", True),
                                             ("import time; time.sleep(30)", False)])
def test_real_programs(code, spins):
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        busy_over([proc.pid], 0.2)  # this window may hold the interpreter's start; the next holds only the code
        busy = busy_over([proc.pid], 0.5)
        assert busy.spinning() == spins, busy
    finally:
        proc.kill()
        proc.wait()
