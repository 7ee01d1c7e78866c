"""Sandbox back-ends: where one submission's checks run.

Both run the same `python3 -m harness.runner` next to the student's program
and hand back its results document; they differ only in isolation:

    local   a child process tree in its own user, network and PID namespaces
            (plain loopback with a warning where Linux does not allow them)
    docker  one hardened container per submission (grader.backends.docker)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from grader.errors import UsageError
from grader.labs import Lab
from grader.results import Report

BACKENDS = ("local", "docker")
DEFAULT_DEADLINE = 300.0  # seconds for one submission: only a runaway sandbox reaches it


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRequest:
    lab: Lab
    submission: Path  # a folder holding lab.file
    include_hidden: bool = False
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    only: tuple[str, ...] = ()
    deadline: float | None = None  # hard wall-clock limit for the whole run, seconds
    explain: bool = False  # transcript and how-to-reproduce for passing checks too
    progress: Callable[[dict[str, Any]], None] | None = None  # check started / finished events


class Backend(Protocol):
    name: str

    def run(self, request: RunRequest) -> Report: ...


def get_backend(name: str, **options: Any) -> Backend:
    if name == "local":
        from grader.backends.local import LocalBackend

        return LocalBackend(**options)
    if name == "docker":
        from grader.backends.docker import DockerBackend

        return DockerBackend(**options)
    raise UsageError(f"unknown backend '{name}': choose one of {', '.join(BACKENDS)}")

