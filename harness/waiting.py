"""Polling with a deadline: the only way the harness waits for anything.

Rule: no fixed sleep synchronises with a student program. A correct program
passes as soon as the condition holds; the deadline only bounds the wait on a
wrong one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self.end - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self.end


def poll(predicate: Callable[[], T], timeout: float, first: float = 0.002, cap: float = 0.05) -> T | None:
    """Call predicate until it returns something truthy (returned) or the deadline passes (None).

    Backoff starts at 2 ms and doubles to 50 ms: fast for the common case,
    cheap for the slow one.
    """
    deadline = Deadline(timeout)
    delay = first
    while True:
        value = predicate()
        if value:
            return value
        if deadline.expired():
            return None
        time.sleep(min(delay, deadline.remaining()))  # poll
        delay = min(delay * 2, cap)
