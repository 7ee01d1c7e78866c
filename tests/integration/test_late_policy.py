"""One late-policy computation: results.json, grades.csv, feedback.txt and the HTML report agree."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from grader.cli import main

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_a_late_student_has_one_score_everywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(REPO / "grader.yml", tmp_path / "grader.yml")  # due date, 10 %/day, the bundled times CSV
    (tmp_path / "examples").mkdir()
    for name in ("tcp_echo_submission_times.csv", "tcp_echo_roster.csv"):
        shutil.copy(REPO / "examples" / name, tmp_path / "examples")
    shutil.copytree(REPO / "examples" / "tcp_echo", tmp_path / "class")
    for student in list((tmp_path / "class").iterdir()):
        if student.name not in ("tomas_novak", "hana_sato"):  # two days late / on time
            shutil.rmtree(student)
    code = main(["grade", "tcp_echo", "class", "--out", "out", "--backend", "local"])
    err = capsys.readouterr().err
    assert code == 0, err

    out = tmp_path / "out"
    with open(out / "grades.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    doc = json.loads((out / "tomas_novak" / "results.json").read_text())
    earned = sum(t["score"] for t in doc["tests"])
    assert rows["tomas_novak"]["late_days"] == "2"
    assert doc["extra_data"]["late"] == {"days": 2, "penalty_percent": 20.0, "score_before_penalty": earned,
                                         "score": round(earned * 0.8, 2)}
    final = doc["score"]
    assert final == round(earned * 0.8, 2) < earned
    assert float(rows["tomas_novak"]["score"]) == final
    feedback = (out / "tomas_novak" / "feedback.txt").read_text()
    assert f"final score {final:g} /" in feedback
    report = (out / "report.html").read_text()
    assert f"{final:g}" in report and "20% late" in report
    summary = json.loads((out / "summary.json").read_text())
    assert summary["late"]["tomas_novak"]["penalty_percent"] == 20.0

    on_time = json.loads((out / "hana_sato" / "results.json").read_text())
    assert "late" not in on_time["extra_data"] and on_time["score"] == float(rows["hana_sato"]["score"])

    # A rerun grades nobody again and leaves the late record as it was.
    before = (out / "tomas_novak" / "results.json").read_bytes()
    assert main(["grade", "tcp_echo", "class", "--out", "out", "--backend", "local"]) == 0
    assert "0 to grade (2 already graded)" in capsys.readouterr().err
    assert (out / "tomas_novak" / "results.json").read_bytes() == before
