"""LMS hand-off end to end: a Canvas-shaped archive keeps every student's Canvas id, and the
bundled example class exports to Canvas's and Moodle's import formats."""

from __future__ import annotations

import csv
import shutil
import zipfile
from pathlib import Path

import pytest

from grader.cli import main
from grader.lms_export import CANVAS_COLUMNS

REPO = Path(__file__).resolve().parents[2]
REFERENCE = (REPO / "reference" / "tcp_echo" / "echo_server.py").read_bytes()
BROKEN = b"def broken(:\n"

pytestmark = pytest.mark.slow


def table(path: Path) -> list[list[str]]:
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_a_canvas_archive_keeps_ids_and_late_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    with zipfile.ZipFile(tmp_path / "submissions.zip", "w") as zf:
        zf.writestr("jonesbob_LATE_23456_78901_echo_server.py", REFERENCE)
        zf.writestr("smithjohn_23457_78902_echo_server.py", REFERENCE)
        zf.writestr("smithjohn_23458_78903_echo_server-1.py", BROKEN)  # another John Smith, resubmitted
    assert main(["grade", "tcp_echo", "submissions.zip", "--out", "out", "--backend", "local"]) == 0
    capsys.readouterr()
    with open(tmp_path / "out" / "grades.csv", newline="") as f:
        grades = {r["student"]: r for r in csv.DictReader(f)}
    assert {k: v["lms_id"] for k, v in grades.items()} == {
        "jonesbob_23456": "23456", "smithjohn_23457": "23457", "smithjohn_23458": "23458"}
    assert "LATE" in grades["jonesbob_23456"]["status"]
    assert grades["smithjohn_23458"]["score"] == "0"

    assert main(["export", "canvas", "out", "-o", "canvas.csv", "--assignment", "Echo (555)"]) == 0
    rows = table(tmp_path / "canvas.csv")
    assert rows[0] == [*CANVAS_COLUMNS, "Echo (555)"]
    assert sorted((r[0], r[1], r[5]) for r in rows[1:]) == [
        ("jonesbob", "23456", "20"), ("smithjohn", "23457", "20"), ("smithjohn", "23458", "0")]


def test_the_example_class_exports_to_canvas_and_moodle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "examples").mkdir()
    shutil.copy(REPO / "examples" / "tcp_echo_roster.csv", tmp_path / "examples")
    shutil.copy(REPO / "examples" / "tcp_echo_submission_times.csv", tmp_path / "examples")
    shutil.copy(REPO / "grader.yml", tmp_path)  # roster: examples/tcp_echo_roster.csv
    assert main(["grade", "--backend", "local", "--out", "out"]) == 0
    capsys.readouterr()

    assert main(["export", "canvas", "out", "-o", "canvas.csv"]) == 0
    err = capsys.readouterr().err
    canvas = table(tmp_path / "canvas.csv")
    assert canvas[0] == [*CANVAS_COLUMNS, "TCP echo server"]
    assert len(canvas) == 1 + 6 and "not in the file" not in err
    assert all(r[1].startswith("234") and r[2].startswith("S") and r[5] for r in canvas[1:])

    assert main(["export", "moodle", "out", "-o", "moodle.csv"]) == 0
    moodle = table(tmp_path / "moodle.csv")
    assert moodle[0] == ["Full name", "Email address", "TCP echo server", "TCP echo server (feedback)"]
    assert len(moodle) == 1 + 6 and all(r[1].endswith("@example.edu") for r in moodle[1:])
    novak = next(r for r in moodle if r[0] == "Novak, Tomas")
    csv_score = {r[0]: r[5] for r in canvas[1:]}["Novak, Tomas"]
    assert novak[2] == csv_score  # the late-penalised score, as in grades.csv
