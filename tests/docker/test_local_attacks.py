"""The attack suite against the LOCAL sandbox, each attack inside a throwaway container.

The same hostile programs as test_attacks.py, graded by `python -m
harness.runner` (what `grader check` and `grader grade --backend local` run)
as an unprivileged user, beside a reference graded at the same time. The
container is only there so that a failing test cannot damage this machine;
it is not part of the sandbox under test. It gets just what unprivileged
user namespaces need inside Docker:

  * seccomp=unconfined: Docker's default profile refuses unshare/clone with
    CLONE_NEWUSER to a process without CAP_SYS_ADMIN;
  * systempaths=unconfined: Docker masks parts of /proc with overmounts, and
    the kernel then refuses a fresh proc mount in a user namespace (the
    sandbox would run without its private /proc, and say so).

(No AppArmor option: this host has no AppArmor. On Ubuntu 23.10+ the host's
kernel.apparmor_restrict_unprivileged_userns may need apparmor=unconfined.)
Network "none", all capabilities dropped, memory and pids capped: the
container holds the attack even if the local sandbox does not.

For every attack: the attack gets a real result as in Docker; the reference
beside it gets full marks; no file appeared in any place the user can write
(home with the grader's virtualenv and its site-packages, /tmp, /var/tmp,
/dev/shm, the scratch area, the current directory); no process is left; the
canary on the container's loopback heard nothing.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from test_attacks import ATTACKS, EXPECT

pytestmark = [pytest.mark.docker, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("local_attack_driver.py")
THROWAWAY = ["--network", "none", "--user", "10001:10001", "--cap-drop", "ALL",
             "--security-opt", "seccomp=unconfined", "--security-opt", "systempaths=unconfined",
             "--memory", "1536m", "--memory-swap", "1536m", "--pids-limit", "1024", "--cpus", "1",
             "--tmpfs", "/scratch:uid=10001,gid=10001,size=512m",
             "--tmpfs", "/home/student:uid=10001,gid=10001,size=64m", "-e", "HOME=/home/student"]


def run_in_throwaway(image: str, attack: str) -> dict:
    mounts = {REPO / "assignments" / "tcp_echo": "/labs/tcp_echo", REPO / "reference" / "tcp_echo": "/ref",
              ATTACKS / attack: "/attack", DRIVER: "/driver.py"}
    volumes = [arg for src, dest in mounts.items() for arg in ("-v", f"{src}:{dest}:ro")]
    done = subprocess.run(["docker", "run", "--rm", *THROWAWAY, *volumes, "-w", "/opt/grader", image,
                           "python3", "/driver.py", "/labs/tcp_echo", "/attack", "/ref"],
                          capture_output=True, text=True, timeout=800, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def outcomes(doc: dict) -> str:
    return "\n".join(f"{t['name']}: {t['extra_data']['outcome']}\n{t['output'][-800:]}"
                     for t in doc.get("tests", []) if t["status"] != "passed") or json.dumps(doc)[-2000:]


# fork_bomb: its checks fail on their own merits and the reference beside it keeps full marks, also
# on a loaded machine: the safety net times only the check itself (harness.plugin), and a program at
# its process limit is paused in slices (harness.crowd).
@pytest.mark.parametrize("name", sorted(EXPECT))
def test_attack_is_contained_locally(name: str, docker_backend: object) -> None:
    seen = run_in_throwaway(docker_backend.image, name)  # type: ignore[attr-defined]
    report, reference = seen["docs"]["attack"], seen["docs"]["reference"]
    assert "tests" in report, f"{name}: no results document: {report}"
    assert not any(t["extra_data"]["outcome"] == "error" for t in report["tests"]), outcomes(report)
    assert report["extra_data"]["containment"] == "pidns"
    warnings = " ".join(report["extra_data"].get("warnings", []))
    assert "weaker local sandbox" not in warnings, warnings
    expect = EXPECT[name]
    if expect == "fails":
        assert report["score"] < report["extra_data"]["max_score"], f"{name} got full marks"
    elif expect == "zero":
        assert report["score"] == 0, f"{name}: a forged result counted: {report['score']}"
    elif expect == "all":
        assert report["score"] == report["extra_data"]["max_score"], f"{name}: the sandbox let it read a secret:\n{outcomes(report)}"
    assert reference.get("score") == reference.get("extra_data", {}).get("max_score") == 20, (
        f"the reference graded next to {name} lost points:\n{outcomes(reference)}")
    assert seen["left"] == [], f"{name} left files outside its sandbox: {seen['left']}"
    assert seen["processes"] == [], f"{name} left processes: {seen['processes']}"
    assert seen["canary"] == [], f"{name} reached the loopback outside its sandbox: {seen['canary']}"
