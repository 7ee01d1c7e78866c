"""The Gradescope autograder zip, run as Gradescope runs it, inside the project's own image.

Gradescope's order: unzip into /autograder/source, run setup.sh there (root),
copy run_autograder to /autograder/, put a submission in /autograder/submission,
run /autograder/run_autograder, read /autograder/results/results.json. The
image has Python and the harness's packages but no pip, which is also what
setup.sh must handle (nothing to install). There is no network (Gradescope
has one; nothing here needs it) and no Docker inside.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from grader import docker_engine, image
from grader.config import LabConfig
from grader.export import GRADESCOPE_KEYS, export_gradescope
from grader.labs import get_lab

REPO_ROOT = Path(__file__).resolve().parents[2]
LABEL = "edu.socklab.grader.test"
MARK = "@@results "

pytestmark = [pytest.mark.docker, pytest.mark.timeout(900)]

GRADESCOPE = """
set -eu
mkdir -p /autograder/source /autograder/results
python3 -c "import zipfile; zipfile.ZipFile('/in/autograder.zip').extractall('/autograder/source')"
# Gradescope keeps the files' modes; zipfile does not restore them, so do it as unzip would.
chmod +x /autograder/source/setup.sh /autograder/source/run_autograder
cd /autograder/source && ./setup.sh
cp /autograder/source/run_autograder /autograder/run_autograder
for sub in /in/submissions/*; do
    rm -rf /autograder/submission /autograder/results/*
    mkdir -p /autograder/submission
    cp -r "$sub"/. /autograder/submission/
    cd /autograder && ./run_autograder
    printf '%s%s ' "@@results " "$(basename "$sub")"
    python3 -c "import json; print(json.dumps(json.load(open('/autograder/results/results.json'))))"
done
"""


@pytest.fixture(scope="module")
def sandbox_image() -> str:
    reason = docker_engine.engine_available()
    if reason is not None:
        pytest.skip(reason)
    return image.ensure_image(REPO_ROOT, progress=lambda line: None)


@pytest.fixture
def run_label() -> Iterator[str]:
    value = uuid.uuid4().hex[:12]
    yield value
    leftovers = docker_engine.sweep(f"{LABEL}={value}")
    assert leftovers.total == 0, f"containers left behind: {leftovers}"


def check_gradescope_schema(doc: dict[str, Any]) -> None:
    """Gradescope's documented results.json: top-level score/tests, each test's fields and their types."""
    assert set(doc) <= set(GRADESCOPE_KEYS), f"keys Gradescope does not know: {set(doc) - set(GRADESCOPE_KEYS)}"
    assert isinstance(doc["score"], (int, float)) and not isinstance(doc["score"], bool)
    assert isinstance(doc.get("output", ""), str) and isinstance(doc.get("execution_time", 0), (int, float))
    assert isinstance(doc.get("extra_data", {}), dict)
    assert isinstance(doc["tests"], list)
    for t in doc["tests"]:
        assert isinstance(t["name"], str) and t["name"]
        assert isinstance(t["score"], (int, float)) and isinstance(t["max_score"], (int, float))
        assert 0 <= t["score"] <= t["max_score"]
        assert t["status"] in ("passed", "failed")
        assert isinstance(t["output"], str)
        assert t["visibility"] in ("hidden", "after_due_date", "after_published", "visible")
    if doc["tests"]:
        assert doc["score"] == sum(t["score"] for t in doc["tests"])


def test_autograder_runs_in_gradescope_layout(tmp_path: Path, sandbox_image: str, run_label: str) -> None:
    lab = get_lab("tcp_echo")
    inbox = tmp_path / "in"
    inbox.mkdir()  # export writes into an existing folder (it never makes a missing one)
    export_gradescope(lab, inbox / "autograder.zip", LabConfig(hidden=("survives_reset",)))
    subs = inbox / "submissions"
    (subs / "good").mkdir(parents=True)
    (subs / "good" / "echo_server.py").write_bytes((lab.reference / "echo_server.py").read_bytes())
    bad = next(v for v in lab.variants if v.name == "crashes_on_reset")  # fails the hidden check
    (subs / "bad").mkdir()
    (subs / "bad" / "echo_server.py").write_bytes((bad.path / "echo_server.py").read_bytes())
    (subs / "empty").mkdir()
    (subs / "empty" / "notes.txt").write_text("forgot the file")
    inbox.chmod(0o755)

    result = docker_engine.run_once(
        sandbox_image, ["bash", "-c", GRADESCOPE], user="root", network_mode="none", timeout=600,
        labels={LABEL: run_label}, volumes={str(inbox): {"bind": "/in", "mode": "ro"}})
    log = result.stdout.decode(errors="replace") + result.stderr.decode(errors="replace")
    assert result.exit_code == 0 and not result.timed_out, log[-4000:]
    assert "setup.sh: pytest, pytest-timeout, PyYAML and ntplib are already installed" in log
    docs = {}
    for line in result.stdout.decode().splitlines():
        if line.startswith(MARK):
            name, _, text = line[len(MARK):].partition(" ")
            docs[name] = json.loads(text)
    assert set(docs) == {"good", "bad", "empty"}, log[-4000:]
    for doc in docs.values():
        check_gradescope_schema(doc)

    good, bad_doc, empty = docs["good"], docs["bad"], docs["empty"]
    assert good["score"] == 20 and all(t["status"] == "passed" for t in good["tests"])
    visibility = {t["name"]: t["visibility"] for t in good["tests"]}
    assert visibility["survives_reset"] == "after_published", "hidden checks run, shown after publication"
    assert {v for k, v in visibility.items() if k != "survives_reset"} == {"visible"}
    lost = {t["name"]: t for t in bad_doc["tests"] if t["status"] == "failed"}
    assert set(lost) == {"survives_reset"} and bad_doc["score"] == 18
    assert lost["survives_reset"]["visibility"] == "after_published" and lost["survives_reset"]["output"]
    assert empty["tests"] == [] and empty["score"] == 0 and "echo_server.py" in empty["output"]
