"""The local sandbox's CPU quota (grader.cpu_quota): a spinner gets its quota, and no cgroup is left behind.

The assertions bound CPU time from above only (a capped program can get less on a
loaded machine, never more), so they hold whatever else the machine runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader import cpu_quota
from grader.backends import RunRequest
from grader.backends.local import LocalBackend
from grader.labs import all_labs

QUOTA = cpu_quota.CpuQuota.find()
needs_quota = pytest.mark.skipif(QUOTA is None, reason=cpu_quota.why_missing())

SPIN = "import resource, time\nend = time.monotonic() + 1.5\nwhile time.monotonic() < end: pass\n" \
       "print(json.dumps(resource.getrusage(resource.RUSAGE_SELF).ru_utime))"


def test_entering_runs_the_command_itself() -> None:
    argv = cpu_quota.entering(Path("/nonexistent/cgroup.procs"), [sys.executable, "-c", "print('ran')"])
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert done.returncode == 125 and "ran" not in done.stdout  # not started outside its cgroup


@needs_quota
def test_a_spinner_gets_its_quota_and_the_cgroup_goes() -> None:
    assert QUOTA is not None
    with QUOTA.sandbox(0.2) as procs:
        done = subprocess.run(cpu_quota.entering(procs, [sys.executable, "-c", "import json\n" + SPIN]),
                              capture_output=True, text=True, check=True)
        folder = procs.parent
    assert json.loads(done.stdout) < 0.9  # uncapped it would spin 1.5 CPU-s; the cap allows ~0.3
    assert not folder.exists()


@needs_quota
def test_the_reference_passes_under_the_quota() -> None:
    lab = all_labs()["hello"]
    backend = LocalBackend(cpus=0.5)
    assert backend.quota is not None and backend.cpu_quota_note == ""
    report = backend.run(RunRequest(lab=lab, submission=lab.reference))
    assert report.all_passed, report.tests
    assert not list(QUOTA.base.glob(f"{cpu_quota.PREFIX}{os.getpid()}-*"))
