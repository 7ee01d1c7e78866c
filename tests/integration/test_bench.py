"""bench/run.py end to end on a small scale: every section runs and the tables come out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import classes

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_generated_class_has_the_promised_mix(tmp_path: Path) -> None:
    kinds = classes.mixed_kinds(100)
    assert sum(k in classes.CORRECT_KINDS for k in kinds) == 70
    assert set(kinds) == {*classes.CORRECT_KINDS, *classes.TCP_ECHO_BAD, *classes.HANGS}
    truth = classes.tcp_echo_class(tmp_path, 100)
    sources = {(tmp_path / s / "echo_server.py").read_bytes() for s in truth}
    assert len(sources) == 100  # no two submissions alike


@pytest.mark.timeout(600)
def test_bench_runs_every_section_and_writes_the_tables(tmp_path: Path) -> None:
    out = tmp_path / "results"
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--labs", "hello", "--runs", "1", "--backends", "local",
         "--class-size", "10", "--jobs", "2", "--versus-sizes", "10", "--phases-subjects", "reference",
         "--scale", "5,10", "--out", str(out)],
        capture_output=True, text=True, cwd=tmp_path, timeout=580)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((out / "results.json").read_text())
    assert set(results) == {"checks", "versus", "phases", "batch", "scale"}
    hello = results["checks"]["labs"]["hello"]
    assert hello["local"]["all_passed"] and hello["floor"]["runs"] == 1
    # Ten students: 7 correct ones in several styles and 3 known-bad variants. The grader judges all ten right.
    assert results["batch"]["runs"][0]["wrong_verdicts"] == 0
    # Side by side on one class: the grader judges all ten right. The naive script's verdicts are its own (its
    # fixed sleeps make them move with the load): only their accounting is checked here.
    (versus,) = results["versus"]["sizes"]
    (grader,) = versus["grader"]
    assert grader["backend"] == "local" and grader["wrong_verdicts"] == 0 and grader["ratio"] > 0
    # The machine's busy time holds the grader's own (and whatever else ran): never less, up to rounding.
    assert grader["machine_cpu_s"] >= grader["cpu_s"] - 0.2
    base = versus["naive"]
    assert base["wrong_verdicts"] == base["passed_but_wrong"] + base["failed_but_correct"] == len(base["students"])
    # The reference's phases: every check accounted for, and it passed (no timing is asserted).
    (ref,) = results["phases"]["rows"].values()
    assert ref["n_checks"] == 9 and ref["score"] == ref["max_score"] > 0
    assert [r["submissions"] for r in results["scale"]["runs"]] == [5, 10]
    assert all(r["peak_rss_mib"] > 0 and r["exit"] == 0 for r in results["scale"]["runs"])
    table = (out / "results.md").read_text()
    for heading in ("`grader check` on each reference", "side by side", "Where one submission's time goes",
                    "Batch: the generated tcp_echo class", "Scale: quick"):
        assert heading in table
    assert "| 10 | naive script | none | 1 |" in table and "| `grader grade` | local | 2 |" in table
