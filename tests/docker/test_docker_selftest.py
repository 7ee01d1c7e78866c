"""`grader selftest --backend docker` for every lab: the same verdicts in the hardened container."""

from __future__ import annotations

import pytest

from grader.cli import main
from grader.labs import all_labs

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.mark.parametrize("lab", sorted(all_labs()))
def test_selftest_in_docker(lab, docker_backend, capsys):
    code = main(["selftest", lab, "--backend", "docker", "--jobs", "2"])
    out = capsys.readouterr().out
    assert code == 0, out
