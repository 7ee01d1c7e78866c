"""One score everywhere: every subject of every lab gets the same score in four sandboxes.

Sandboxes (bench/parity.py says how each is set up): local with namespaces; the
local fallback, forced (GRADER_ISOLATE=no); Docker; and the exported Gradescope
autograder run as Gradescope runs it, in one container with Docker's default
capabilities. Subjects: the reference and every known-good and known-bad
variant. Each sandbox grades the subjects one after another (state one leaves
meets the next), once here; Gradescope twice over in the same container, since
a second run there within a minute once gave the reference 0/20.

`bench/parity.py --repeat 10` is the same measurement ten times over.

No difference is exempt. Where a sandbox has no namespaces of its own, the
student's interpreter stands in for what they would give (harness.student_shim):
a lab's handout host names resolve to the fake servers, and the small TCP
buffers a lab declares (`sysctls:`) are the program's sockets' fixed sizes.
"""

from __future__ import annotations

import os

import pytest

from bench import parity
from grader.labs import Lab, all_labs

# Every lab in four sandboxes takes about an hour on 2 cores, past what CI can spend on it:
# CI runs two labs whose scores the shared-namespace sandboxes used to move (TIME_WAIT left on
# the port by a server that closes first), and one whose small TCP buffers reach the program through
# its interpreter where no namespace can have them (harness.student_shim: Debian's Python, in the
# Gradescope container, once hid it), and a client lab: Docker's default container (Gradescope's) has
# IPv6 off and ::1 localhost, which once turned a refused connection into EADDRNOTAVAIL (harness.student_shim).
# SOCKLAB_PARITY_LABS=all (or a comma-separated list) runs more; bench/parity.py --repeat N repeats.
CI_LABS = ("tcp_echo", "hello", "nonblocking_send", "tcp_echo_client")
_chosen = os.environ.get("SOCKLAB_PARITY_LABS", ",".join(CI_LABS))
LABS = [lab for name, lab in all_labs().items() if _chosen == "all" or name in _chosen.split(",")]

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(3600)]


@pytest.fixture(scope="module")
def engine(docker_backend: object) -> None:
    """The Docker engine is there (tests/docker/conftest.py skips, or fails in CI, otherwise)."""


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.name)
def test_same_score_in_every_sandbox(lab: Lab, engine: None) -> None:
    table = parity.Table()
    emit = {box: (lambda label, n, run, box=box: table.add(label, box, run)) for box in parity.SANDBOXES}
    from grader.backends.docker import DockerBackend
    from grader.backends.local import LocalBackend

    parity.run_backend(LocalBackend(isolate="auto"), [lab], 1, emit["local"])
    parity.run_fallback([lab], 1, emit["fallback"])
    parity.run_backend(DockerBackend(progress=lambda line: None), [lab], 1, emit["docker"])
    parity.run_gradescope(lab, 2, emit["gradescope"])

    problems = []
    for label, by_box in table.runs.items():
        assert set(by_box) == set(parity.SANDBOXES), f"{label}: no result from {set(parity.SANDBOXES) - set(by_box)}"
        assert len(by_box["gradescope"]) == 2
        expected = by_box["local"][0]
        for box, runs in by_box.items():
            if len(set(runs)) > 1:
                moved = {check for r in runs for check, outcome in r.outcomes if dict(runs[0].outcomes).get(check) != outcome}
                problems.append(f"{label} in {box}: runs differ: scores {[r.score for r in runs]}, outcomes of "
                                + ", ".join(f"{c} {[dict(r.outcomes).get(c) for r in runs]}" for c in sorted(moved))
                                + "".join(f"\n  round {n} error in {text}" for n, r in enumerate(runs, 1)
                                          for text in r.errors[:2]))
            elif runs[0] != expected:
                problems.append(f"{label} in {box}: {runs[0].score:g} "
                                f"({dict(runs[0].outcomes)}) but local {expected.score:g} ({dict(expected.outcomes)})"
                                + "".join(f"\n  error in {text}" for text in runs[0].errors[:2]))
    assert not problems, "\n".join(problems)
