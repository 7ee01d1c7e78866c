"""What the broker tests share: running `grader grade`, small classes, and comparing output folders."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.classes import tcp_echo_source, write_class
from tests.scaleout.conftest import REPO, grader_env

EXAMPLES = REPO / "examples" / "tcp_echo"
FAST = ("reference", "syntax_error", "reference", "crashes_on_reset", "reference", "decodes_text")


def grade(*args: str | Path, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "grader", "grade", *map(str, args)], cwd=cwd, env=grader_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen[str], timeout: float = 900) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def local_batch(lab: str, source: Path, out: Path, backend: str = "local") -> None:
    code, _, err = finish(grade(lab, source, "--out", out, "--backend", backend, "--jobs", "2", cwd=out.parent))
    assert code == 0, err


def without_timings(out: Path) -> dict[str, object]:
    """What the output folder holds, with what no two runs share taken out: measured times, and the
    feedback's transcripts (what a wrong server sends back depends on scheduling, in any two local
    runs too; its verdict does not). Kept whole: the file list, grades.csv, summary.json, and each
    student's score, and each check's points, outcome and visibility."""
    found: dict[str, object] = {}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        if not path.is_file() or rel.startswith("."):
            continue
        if path.name == "results.json":
            doc = json.loads(path.read_text())
            found[rel] = (doc["score"], doc["extra_data"]["max_score"], [
                (t["name"], t["score"], t["max_score"], t["status"], t["visibility"], t["extra_data"]["outcome"])
                for t in doc["tests"]])
        elif path.name in ("grades.csv", "summary.json"):
            found[rel] = path.read_text()
        else:
            found[rel] = "present"
    return found


def assert_same_folders(broker_out: Path, local_out: Path) -> None:
    got, want = without_timings(broker_out), without_timings(local_out)
    assert sorted(got) == sorted(want)
    for rel in want:
        assert got[rel] == want[rel], f"{rel} differs between the broker and the local batch"
    assert (broker_out / "grades.csv").read_bytes() == (local_out / "grades.csv").read_bytes()


def fast_class(root: Path, size: int) -> Path:
    write_class(root, [FAST[i % len(FAST)] for i in range(size)],
                source=lambda kind, n: tcp_echo_source(kind, n))
    return root
