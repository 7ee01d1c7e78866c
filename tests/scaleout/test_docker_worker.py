"""A `grader worker --backend docker` on the real engine: the same results through the broker as a local
Docker batch, and no container left behind once the worker has stopped."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader import docker_engine
from tests.docker.docker_helpers import engine_or_skip
from tests.scaleout.batches import assert_same_folders, fast_class, finish, grade, local_batch
from tests.scaleout.conftest import RedisServer, Workers

pytestmark = [pytest.mark.slow, pytest.mark.docker, pytest.mark.xdist_group("broker")]


def containers_of(pid: int) -> list[str]:
    """Sandbox containers (running or not) that process `pid` started: their owner label is host:pid:start."""
    from grader.backends.docker import LABEL

    return [c.id[:12] for c in docker_engine.list_containers(LABEL)
            if c.labels.get(f"{LABEL}.owner", "").split(":")[1:2] == [str(pid)]]


@pytest.mark.timeout(1200)
def test_a_docker_worker_grades_like_a_local_docker_batch_and_leaves_no_container(
        tmp_path: Path, redis_server: RedisServer, workers: Workers) -> None:
    engine_or_skip()
    source = fast_class(tmp_path / "class", 4)
    # First, so that the image is built (if it must be) before the worker starts and needs it.
    local_batch("tcp_echo", source, tmp_path / "local", backend="docker")
    worker = workers.start("d1", "--jobs", "2", backend="docker")
    code, _, err = finish(grade("tcp_echo", source, "--out", tmp_path / "broker", "--broker", redis_server.url,
                                cwd=tmp_path))
    assert code == 0, err
    assert "1 worker(s) seen" in err, err
    log = workers.log("d1")
    assert "2 docker sandbox(es)" in log and log.count("graded student") == 4, log
    assert_same_folders(tmp_path / "broker", tmp_path / "local")
    workers.stop_all()
    assert worker.returncode == 0, workers.log("d1")
    assert containers_of(worker.pid) == []
