"""Every reference and known-bad variant through the CLI: the exact outcome of each check.

The expected outcomes live in expected/<lab>.json (record_expected.py writes
them). A reference must pass everything; a variant must fail the check it
declares; and every other check's outcome must be what was recorded, so a
check that starts to flake or stops biting shows up here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.labs import all_labs
from grader.selftest import subjects

EXPECTED = Path(__file__).resolve().parent / "expected"
SUBJECTS = subjects(list(all_labs().values()))

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("subject", SUBJECTS, ids=lambda s: s.label)
def test_exact_outcomes(subject, check_json):
    record = EXPECTED / f"{subject.lab.name}.json"
    assert record.is_file(), f"no expected outcomes recorded for {subject.lab.name}: run record_expected.py"
    expected = json.loads(record.read_text())[subject.name]
    code, doc = check_json(subject.lab.name, subject.path)
    outcomes = {t["name"]: t["extra_data"]["outcome"] for t in doc["tests"]}
    assert outcomes == expected
    if subject.fails is None:
        assert code == 0 and doc["score"] == doc["extra_data"]["max_score"] > 0
    else:
        assert code == 1 and outcomes[subject.fails] in ("failed", "timeout", "crashed")
        failing = next(t for t in doc["tests"] if t["name"] == subject.fails)
        assert failing["output"].strip(), "a failing check must explain itself"
