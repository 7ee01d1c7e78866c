"""Failing fast on proof (harness.never_ready, harness.stall) changes no outcome.

With the shortcuts on (the default), test_lab_outcomes checks every reference
and variant of every lab against expected/<lab>.json. Here the same subjects
run with them off (GRADER_FAIL_FAST=0), cheaply: never_ready can only end a
check as `timeout` or `crashed`, and only after an earlier check of the same
run ended so; a stall proof only ends a wait that would have timed out. So a
subject with no `timeout` and fewer than two such checks cannot have used
either, and for the others only those checks need to run again (checks are
independent: each starts the program afresh). Then programs that never get
ready (tests/integration/programs/never_ready/) go through every server lab
with the shortcut on, and again with it off: the same outcomes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from grader.labs import all_labs
from grader.selftest import subjects
from harness.never_ready import FAIL_FAST_VAR

HERE = Path(__file__).resolve().parent
EXPECTED = HERE / "expected"
PROGRAMS = HERE / "programs" / "never_ready"
NOT_READY = ("timeout", "crashed")
MARK = "was not started again"  # the note of a check the shortcut ended (harness.session.Lab._replay)

pytestmark = pytest.mark.slow


def _expected(lab: str, name: str) -> dict[str, str]:
    return json.loads((EXPECTED / f"{lab}.json").read_text())[name]


def _could_shortcut(subject) -> list[str]:
    expected = _expected(subject.lab.name, subject.name)
    bad = [check for check, outcome in expected.items() if outcome in NOT_READY and check != "compiles"]
    return bad if len(bad) >= 2 or any(expected[check] == "timeout" for check in bad) else []


CANDIDATES = [s for s in subjects(list(all_labs().values())) if _could_shortcut(s)]


def _outcomes(doc: dict) -> dict[str, str]:
    return {t["name"]: t["extra_data"]["outcome"] for t in doc["tests"]}


@pytest.mark.parametrize("subject", CANDIDATES, ids=lambda s: s.label)
def test_recorded_outcomes_without_the_shortcut(subject, check_json, monkeypatch):
    checks = _could_shortcut(subject)
    monkeypatch.setenv(FAIL_FAST_VAR, "0")
    _, doc = check_json(subject.lab.name, subject.path, "--only", *checks)
    expected = _expected(subject.lab.name, subject.name)
    assert _outcomes(doc) == {"compiles": expected["compiles"], **{c: expected[c] for c in checks}}


SERVER_LABS = sorted(name for name, lab in all_labs().items() if lab.kind == "server")
NEVER_READY = sorted(p.stem for p in PROGRAMS.glob("*.py"))
# With the shortcut off a program that waits forever costs every check its whole readiness
# budget: all of them for tcp_echo, and for the other labs the first check the shortcut ended.
FULL_LAB = "tcp_echo"


@pytest.mark.parametrize("program", NEVER_READY)
@pytest.mark.parametrize("lab", SERVER_LABS)
def test_never_ready_same_outcomes_with_and_without(lab, program, check_json, monkeypatch, tmp_path):
    spec = all_labs()[lab]
    shutil.copy(PROGRAMS / f"{program}.py", tmp_path / spec.file)
    _, fast = check_json(lab, tmp_path)
    ended = [t["name"] for t in fast["tests"] if MARK in t["output"]]
    for test in fast["tests"]:
        if test["name"] in ended:
            assert test["extra_data"]["outcome"] in NOT_READY
    monkeypatch.setenv(FAIL_FAST_VAR, "0")
    again = ended if program == "forgets_listen" or lab == FULL_LAB else ended[:1]
    if not again:
        pytest.skip(f"{lab} starts no server twice the same way")  # e.g. socket_modes starts its own
    _, slow = check_json(lab, tmp_path, "--only", *again)
    assert not any(MARK in t["output"] for t in slow["tests"])
    assert _outcomes(slow) == {name: outcome for name, outcome in _outcomes(fast).items()
                               if name in again or name == "compiles"}
    by_name = {t["name"]: t["output"] for t in fast["tests"]}
    for test in slow["tests"]:  # the message too, but for the transcript's note and the run's paths
        if test["name"] in again:
            assert _verdict(test["output"]) == _verdict(by_name[test["name"]])


def _verdict(output: str) -> str:
    """A failure's message: from its second paragraph (after the check's summary) to its transcript."""
    text = output.split("What happened:")[0]
    return "\n".join(line for line in text.splitlines() if "grader-local-" not in line)
