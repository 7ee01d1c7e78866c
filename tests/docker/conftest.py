"""Fixtures for the tests that need the real Docker engine (marked `docker`).

On a machine without a reachable engine they skip with the engine's reason;
`.ci/run` on the grading machine has one, so there they run.
"""

from __future__ import annotations

import os

from collections.abc import Iterator
from pathlib import Path

import pytest

from grader import docker_engine
from grader.labs import Lab, get_lab

REPO_ROOT = Path(__file__).resolve().parents[2]


def engine_or_skip() -> None:
    reason = docker_engine.engine_available()
    if reason is not None:
        if os.environ.get("CI"):  # CI runs on a machine with an engine: a skip there would hide a failure
            pytest.fail(f"no Docker engine reachable in CI: {reason}")
        pytest.skip(f"no Docker engine reachable: {reason}")


@pytest.fixture(scope="session")
def docker_backend() -> Iterator[object]:
    """One DockerBackend for the session (builds the image on first use)."""
    engine_or_skip()
    from grader.backends.docker import DockerBackend

    yield DockerBackend(progress=lambda line: None)


@pytest.fixture(scope="session")
def tcp_echo() -> Lab:
    return get_lab("tcp_echo")
