"""Every attack of the suite in both sandboxes, side by side: one markdown table.

    .venv/bin/python bench/attack_table.py [--attacks fork_bomb,...] [--out FILE]

Docker: the Docker backend grades the attack (tests/docker/test_attacks.py does the
same, with its assertions). Local: the local sandbox grades it inside a throwaway
container, a reference graded beside it, and the files, processes and loopback
canary it left are counted (tests/docker/test_local_attacks.py's driver). The tests
hold the verdicts; this prints what they saw, for a note or a review.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for extra in (REPO, REPO / "tests" / "docker"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from test_attacks import ATTACKS, EXPECT, HostListeners  # noqa: E402 - after the path set-up
from test_local_attacks import run_in_throwaway  # noqa: E402

from grader import docker_engine  # noqa: E402
from grader.backends import RunRequest  # noqa: E402
from grader.backends.docker import DockerBackend  # noqa: E402
from grader.labs import get_lab  # noqa: E402


def lost(tests: list[tuple[str, str]]) -> str:
    """The checks that did not pass, with their outcomes: 'echo_large failed, ...'."""
    return ", ".join(f"{name} {outcome}" for name, outcome in tests if outcome != "passed") or "none"


def docker_row(backend: DockerBackend, name: str) -> str:
    """As test_attacks.py grades it: a copy with target.txt, listeners on this host's own addresses."""
    lab = get_lab("tcp_echo")
    gateway = docker_engine.bridge_gateway()
    listeners = HostListeners(["127.0.0.1"] + ([gateway] if gateway else []))
    with tempfile.TemporaryDirectory() as tmp:
        submission = Path(tmp) / name
        shutil.copytree(ATTACKS / name, submission, ignore=shutil.ignore_patterns("__pycache__"))
        (submission / "target.txt").write_text(f"{listeners.port} {gateway or '127.0.0.1'}\n")
        started = time.monotonic()
        try:
            report = backend.run(RunRequest(lab=lab, submission=submission, include_hidden=True, deadline=150.0))
        finally:
            listeners.close()
        took = time.monotonic() - started
    lost_checks = lost([(t.name, t.outcome) for t in report.tests])
    return f"{report.score:g}/{report.max_score:g} in {took:.0f} s; lost: {lost_checks}; host listeners heard {len(listeners.received)}"


def local_row(image: str, name: str) -> str:
    started = time.monotonic()
    seen = run_in_throwaway(image, name)
    took = time.monotonic() - started
    doc, ref = seen["docs"]["attack"], seen["docs"]["reference"]
    tests = [(t["name"], t["extra_data"]["outcome"]) for t in doc.get("tests", [])]
    left = len(seen["left"]) + len(seen["processes"]) + len(seen["canary"])
    return (f"{doc.get('score', 0):g}/{doc.get('extra_data', {}).get('max_score', 0):g} in {took:.0f} s; "
            f"lost: {lost(tests)} | {ref.get('score', 0):g}/20 | {left}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--attacks", default="", help="comma-separated (default: all)")
    p.add_argument("--out", type=Path, help="also write the table here")
    args = p.parse_args(argv)
    names = [n for n in sorted(EXPECT) if not args.attacks or n in args.attacks.split(",")]
    backend = DockerBackend(progress=lambda line: None)
    lines = ["| attack | must | Docker | local sandbox | reference beside it (local) | left behind (local: files, processes, canary hits) |",
             "| --- | --- | --- | --- | --- | --- |"]
    for name in names:
        row = f"| {name} | {EXPECT[name]} | {docker_row(backend, name)} | {local_row(backend.image, name)} |"
        print(row, flush=True)
        lines.append(row)
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
