"""Fixtures for the tests that need the real Docker engine (marked `docker`).

On a machine without a reachable engine they skip with the engine's reason;
`.ci/run` on the grading machine has one, so there they run.
"""

from __future__ import annotations


from collections.abc import Iterator
from pathlib import Path

import pytest

from docker_helpers import engine_or_skip
from grader.labs import Lab, get_lab

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def docker_backend() -> Iterator[object]:
    """One DockerBackend for the session (builds the image on first use)."""
    engine_or_skip()
    from grader.backends.docker import DockerBackend

    yield DockerBackend(progress=lambda line: None)


@pytest.fixture(scope="session")
def tcp_echo() -> Lab:
    return get_lab("tcp_echo")
