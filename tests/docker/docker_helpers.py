"""Helpers of the Docker tests (a module with a unique name: tests/ has no packages)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from grader import docker_engine
from grader.backends import RunRequest
from grader.labs import Lab
from grader.results import Report


def our_containers() -> list[docker_engine.ContainerInfo]:
    """Sandbox containers started by this test process."""
    from grader.backends.docker import LABEL, owner_id

    return [c for c in docker_engine.list_containers(LABEL) if c.labels.get(f"{LABEL}.owner") == owner_id()]


def timed_run(backend: object, lab: Lab, submission: Path, **kw: object) -> tuple[Report, float]:
    started = time.monotonic()
    report = backend.run(RunRequest(lab=lab, submission=submission, **kw))  # type: ignore[attr-defined]
    return report, time.monotonic() - started


def explain(report: Report) -> str:
    return "\n".join(f"{t.name}: {t.outcome} {t.score}/{t.max_score}\n{t.output[-1500:]}"
                     for t in report.tests if not t.passed)


def engine_or_skip() -> None:
    reason = docker_engine.engine_available()
    if reason is not None:
        if os.environ.get("CI"):  # CI runs on a machine with an engine: a skip there would hide a failure
            pytest.fail(f"no Docker engine reachable in CI: {reason}")
        pytest.skip(f"no Docker engine reachable: {reason}")
