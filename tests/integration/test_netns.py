"""The runner's per-check network namespaces: private, with a small TCP hash table and the machine's limits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import json
from harness import netns

def sysctls():
    return {n: netns.get_sysctl("net.ipv4." + n) for n in ("tcp_ehash_entries", "tcp_max_tw_buckets",
                                                             "tcp_max_syn_backlog")}

machine = sysctls()
netns.enter_private_namespaces()
checks = []
for _ in range(3):  # each per-check namespace is made from the previous one
    netns.fresh_network()
    checks.append(sysctls())
print(json.dumps({"machine": machine, "checks": checks}))
"""


def test_every_per_check_namespace_has_its_own_small_tcp_table() -> None:
    if not netns_available():
        pytest.skip("no network namespaces here")
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=REPO, timeout=60,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    if doc["checks"][0]["tcp_ehash_entries"] != "1024":
        pytest.skip("this kernel has no per-namespace TCP hash tables (Linux < 6.1)")
    for check in doc["checks"]:
        assert check["tcp_ehash_entries"] == "1024"
        # Only the speed changes: the limits the kernel would scale down are the machine's.
        assert check["tcp_max_tw_buckets"] == doc["machine"]["tcp_max_tw_buckets"]
        assert check["tcp_max_syn_backlog"] == doc["machine"]["tcp_max_syn_backlog"]


def netns_available() -> bool:
    return subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0
