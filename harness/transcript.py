"""A transcript of everything the harness did during one check.

Conversations, fake servers and the launcher append events; the runner puts
the rendered transcript into the feedback of a failing check, so a student
sees what was sent and what came back, in order, with timestamps.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from harness.compare import shorten


@dataclass(slots=True)
class Event:
    t: float
    actor: str
    kind: str  # "->" sent, "<-" received, "*" note
    text: str


@dataclass(slots=True)
class Transcript:
    start: float = field(default_factory=time.monotonic)
    events: list[Event] = field(default_factory=list)
    limit: int = 200  # events kept; a 50-client check must not produce a novel

    def _add(self, actor: str, kind: str, text: str) -> None:
        if len(self.events) < self.limit:
            self.events.append(Event(time.monotonic() - self.start, actor, kind, text))
        elif len(self.events) == self.limit:
            self.events.append(Event(time.monotonic() - self.start, "harness", "*", "(transcript truncated)"))

    def sent(self, actor: str, data: bytes) -> None:
        self._add(actor, "->", f"sent {len(data)} bytes {shorten(data, 60)}")

    def received(self, actor: str, data: bytes) -> None:
        self._add(actor, "<-", f"received {len(data)} bytes {shorten(data, 60)}")

    def note(self, actor: str, text: str) -> None:
        self._add(actor, "*", text)

    def render(self) -> str:
        return "\n".join(f"  {e.t:7.3f}s {e.actor:>10} {e.kind} {e.text}" for e in self.events)
