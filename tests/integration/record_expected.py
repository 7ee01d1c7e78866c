"""Record the exact outcome of every check for a lab's reference and variants.

    python3 tests/integration/record_expected.py LAB [LAB...]

Writes tests/integration/expected/LAB.json, which test_lab_outcomes.py
compares every run against. Run it after changing a lab, then review the diff.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from grader.backends import RunRequest
from grader.backends.local import LocalBackend
from grader.labs import get_lab
from grader.selftest import subjects

HERE = Path(__file__).resolve().parent


def record(name: str) -> dict[str, dict[str, str]]:
    lab = get_lab(name)
    backend = LocalBackend()
    out = {}
    for sub in subjects([lab]):
        report = backend.run(RunRequest(lab=lab, submission=sub.path, include_hidden=True))
        out[sub.name] = report.outcomes()
        print(f"{lab.name}/{sub.name}: {out[sub.name]}", file=sys.stderr)
    return out


if __name__ == "__main__":
    for name in sys.argv[1:]:
        (HERE / "expected" / f"{name}.json").write_text(json.dumps(record(name), indent=1) + "\n")
