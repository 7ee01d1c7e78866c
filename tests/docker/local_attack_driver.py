"""Inside a throwaway container: grade one attack with the LOCAL sandbox, a reference beside it.

    python3 local_attack_driver.py LAB_DIR ATTACK_DIR REFERENCE_DIR

Run as an unprivileged user (uid 10001) with a writable home, as a student or
an instructor would run `grader check` / `grader grade --backend local`:

  * the grader's "installation" is a virtualenv in home (its site-packages is
    a place an attack tries to plant a .pth or sitecustomize.py in);
  * a canary listens on this container's loopback (TCP and UDP): the attack's
    sandbox has its own network namespace and must never reach it;
  * the attack and the reference are graded at the same time, each by its own
    `python -m harness.runner` (as `grader grade -j 2` does);
  * afterwards every place the user can write is compared with a snapshot
    taken before, processes are counted, and one JSON line tells the test.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

HOME = Path(os.environ.get("HOME", "/home/student"))
VENV = HOME / "venv"
WATCHED = [HOME, Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"), Path("/scratch"), Path.cwd()]
RESULTS = Path("/scratch/results")  # the runners' documents: expected new files


def snapshot() -> set[str]:
    seen = set()
    for top in WATCHED:
        for root, dirs, files in os.walk(top, onerror=lambda e: None):
            seen.update(os.path.join(root, name) for name in dirs + files)
    return seen


def canary() -> tuple[int, list[str]]:
    hits: list[str] = []
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen()
    port = tcp.getsockname()[1]
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", port))

    def serve(s: socket.socket) -> None:
        while True:
            try:
                if s.type == socket.SOCK_STREAM:
                    conn, peer = s.accept()
                    conn.close()
                    hits.append(f"tcp from {peer}")
                else:
                    data, peer = s.recvfrom(4096)
                    hits.append(f"udp {data!r} from {peer}")
            except OSError:
                return

    for s in (tcp, udp):
        threading.Thread(target=serve, args=(s,), daemon=True).start()
    return port, hits


def grade(python: str, lab: str, submission: Path, out: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TMPDIR": "/scratch", "PYTHONPATH": "/opt/grader"}
    return subprocess.Popen([python, "-m", "harness.runner", "--lab-dir", lab, "--submission", str(submission),
                             "--out", str(out)], cwd="/opt/grader", env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def main() -> int:
    lab, attack_src, reference = sys.argv[1:4]
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(VENV)], check=True)
    attack = Path("/scratch/attack")
    shutil.copytree(attack_src, attack)
    port, hits = canary()
    (attack / "target.txt").write_text(f"{port} 127.0.0.1\n")
    RESULTS.mkdir()
    before = snapshot()
    started = time.monotonic()
    python = str(VENV / "bin" / "python3")
    runs = {"attack": grade(python, lab, attack, RESULTS / "attack.json"),
            "reference": grade(python, lab, Path(reference), RESULTS / "reference.json")}
    errors = {name: p.communicate(timeout=600)[1].decode("utf-8", "replace")[-2000:] for name, p in runs.items()}
    elapsed = time.monotonic() - started
    time.sleep(0.5)  # poll: give the kernel a moment to reap what a dead namespace left
    docs = {}
    for name in runs:
        try:
            docs[name] = json.loads((RESULTS / f"{name}.json").read_text())
        except (OSError, ValueError) as exc:
            docs[name] = {"error": str(exc), "stderr": errors[name]}
    left = sorted(p for p in snapshot() - before
                  if not p.startswith(str(RESULTS)) and not p.startswith(str(attack)))
    me = os.getpid()
    procs = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) not in (me, 1):
            try:
                if Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                    continue  # dead, an orphan of ours this PID 1 has not reaped (no --init here)
                procs.append(Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:200])
            except (OSError, IndexError):
                pass
    print(json.dumps({"docs": docs, "left": left, "processes": procs, "canary": hits,
                      "elapsed": round(elapsed, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
