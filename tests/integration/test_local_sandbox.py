"""The local sandbox's filesystem, users and init, seen from inside (issue 13, item 1).

A harmless program looks around from inside the sandbox and reports what it
could do; the test then looks outside for anything it wrote. (The hostile
versions of these programs run in tests/docker/test_local_attacks.py, in a
throwaway container.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

LOOK = r'''
import ctypes, json, os, resource, signal, sys
mark = sys.argv[1]
places = json.loads(sys.argv[2])
res = {"wrote": [], "uid": os.getuid()}
for d in places + [os.getcwd()]:
    try:
        with open(os.path.join(d, mark), "w") as f:
            f.write("x")
        res["wrote"].append(d)
    except OSError:
        pass
res["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
res["checkout_visible"] = os.path.exists(os.path.join(places[0], "harness"))
for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGKILL):
    try:
        os.kill(1, sig)
    except OSError:
        pass
libc = ctypes.CDLL(None, use_errno=True)
res["umount"] = [p for p in ("/tmp", "/root", places[0]) if libc.umount2(p.encode(), 2) == 0]
res["nproc"] = resource.getrlimit(resource.RLIMIT_NPROC)[0]
print(json.dumps(res), flush=True)
'''

DRIVER = r'''
import json, shutil, sys, tempfile
from pathlib import Path
from harness import netns, local_sandbox
from harness.launch import StudentProgram
from harness.transcript import Transcript
netns.enter_private_namespaces()
scratch = Path(tempfile.mkdtemp(prefix="grader-test-"))
work, out = scratch / "submission", scratch / "out"
work.mkdir(); out.mkdir()
(work / "look.py").write_text(sys.argv[1])
c = local_sandbox.containment(work, Path(sys.argv[3]), scratch, netns.OUTSIDE_UID)
missing = local_sandbox.probe(c)
p = StudentProgram(file="look.py", args=[sys.argv[2], sys.argv[4]], cwd=work, out_dir=out, containment=c,
                   transcript=Transcript()).start()
code = p.wait(20)
print(json.dumps({"missing": missing, "code": code, "out": p.stdout().decode(), "err": p.stderr().decode()}))
p.kill()
from harness.mounts import release_work
release_work(str(work))
shutil.rmtree(scratch)
print(json.dumps({"leftover": scratch.exists()}))
'''


def test_the_program_sees_its_own_world_only(tmp_path: Path) -> None:
    mark = f"sandbox-mark-{uuid.uuid4().hex}"
    home = os.path.expanduser("~")
    site = next(p for p in sys.path if p.endswith("site-packages"))
    places = [str(REPO), "/tmp", "/var/tmp", "/dev/shm", home, site, str(REPO / "assignments" / "tcp_echo")]
    done = subprocess.run([sys.executable, "-c", DRIVER, LOOK, mark, str(REPO / "assignments" / "tcp_echo"),
                           json.dumps(places)], capture_output=True, text=True, timeout=60, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[0])
    result.update(json.loads(done.stdout.splitlines()[1]))
    if result["missing"]:
        pytest.skip(f"this machine refuses part of the sandbox: {result['missing']}")
    assert result["code"] == 0, result
    seen = json.loads(result["out"])
    # writable inside: its private /tmp, /var/tmp, /dev/shm and its own folder; nothing else
    assert sorted(seen["wrote"]) == sorted(["/tmp", "/var/tmp", "/dev/shm", seen["wrote"][-1]]), seen
    assert not seen["checkout_visible"], "the project checkout is visible"
    assert seen["pids"] == [1, 2] or len(seen["pids"]) <= 3, f"it sees processes not its own: {seen['pids']}"
    assert seen["umount"] == [], f"it could unmount {seen['umount']}"
    assert seen["nproc"] == 128
    assert seen["uid"] != 0
    assert result["leftover"] is False
    # and nothing it wrote is outside
    for place in places:
        assert not (Path(place) / mark).exists(), f"{place}/{mark} survived the sandbox"
