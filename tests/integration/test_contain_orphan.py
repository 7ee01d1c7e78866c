"""harness.contain never outlives the runner that started it, even one that died before it could ask
for a parent-death signal (a runner SIGKILLed at its deadline just as it started a program)."""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
from pathlib import Path

from harness.launch import CONTAIN, HARNESS_ROOT


def test_a_launcher_whose_runner_is_already_gone_starts_nothing(tmp_path: Path) -> None:
    witness = tmp_path / "started"
    spec = {"mode": "group", "uid": None, "rlimits": {}, "cwd": str(tmp_path), "env": {"PATH": "/usr/bin:/bin"},
            "argv": [sys.executable, "-c", f"open({str(witness)!r}, 'w').close()"], "view": None, "user": None,
            "parent": 1}  # not our parent: as if the runner had died and the launcher been re-parented
    done = subprocess.run([sys.executable, "-S", "-P", CONTAIN, marshal.dumps(spec).hex()], cwd=HARNESS_ROOT,
                          env={"PYTHONPATH": HARNESS_ROOT}, timeout=30, check=False)
    assert done.returncode == 125 and not witness.exists()
    spec["parent"] = os.getpid()
    done = subprocess.run([sys.executable, "-S", "-P", CONTAIN, marshal.dumps(spec).hex()], cwd=HARNESS_ROOT,
                          env={"PYTHONPATH": HARNESS_ROOT}, timeout=30, check=False)
    assert done.returncode == 0 and witness.exists()
