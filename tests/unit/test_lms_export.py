"""Canvas and Moodle grade imports: the documented column shapes, and matching that never guesses."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from grader.classlist import Identity, Member, match, read_classlist
from grader.errors import UsageError
from grader.lms_export import CANVAS_COLUMNS, Grade, canvas_csv, moodle_csv, read_grades

REPO = Path(__file__).resolve().parents[2]


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def grade(student: str, score: str = "18", lms_id: str = "") -> Grade:
    return Grade(student=student, lms_id=lms_id, score=score, max_score="20", status="graded")


def test_canvas_export_has_canvas_key_columns_and_one_assignment() -> None:
    members = read_classlist(REPO / "examples" / "tcp_echo_roster.csv")
    export = canvas_csv([grade("amara_okafor"), grade("liam_obrien", ""), grade("nobody")], members,
                        "TCP echo server (4711)")
    table = rows(export.text)
    assert table[0] == [*CANVAS_COLUMNS, "TCP echo server (4711)"]  # Student, ID, SIS User ID, SIS Login ID, Section
    assert table[1] == ["Okafor, Amara", "23401", "S1001", "aokafor", "Networks 101 - A", "18"]
    assert table[2] == ["O'Brien, Liam", "23404", "S1004", "lobrien", "Networks 101 - B", ""]  # blank: unchanged
    assert export.rows == 2 and export.unmatched == ["nobody"]


def test_canvas_ids_from_download_names_need_no_roster() -> None:
    export = canvas_csv([grade("jonesbob_23456", lms_id="23456"), grade("alice")], None, "Lab 1")
    assert rows(export.text)[1] == ["jonesbob", "23456", "", "", "", "18"]
    assert export.unmatched == ["alice"]


def test_moodle_export_is_keyed_by_email_or_idnumber() -> None:
    members = read_classlist(REPO / "examples" / "tcp_echo_roster.csv")
    export = moodle_csv([grade("hana_sato"), grade("Test Student")], members, "TCP echo")
    table = rows(export.text)
    assert table[0] == ["Full name", "Email address", "TCP echo", "TCP echo (feedback)"]
    assert table[1][:3] == ["Sato, Hana", "hana.sato@example.edu", "18"] and "18 / 20" in table[1][3]
    assert export.unmatched == ["Test Student"]  # in the roster, but no email: Moodle would stop at this row
    by_id = rows(moodle_csv([grade("hana_sato")], members, "TCP echo", "idnumber").text)
    assert by_id[0][1] == "ID number" and by_id[1][1] == "S1003"


def test_roster_from_canvas_and_moodle_exports(tmp_path: Path) -> None:
    canvas = tmp_path / "canvas.csv"
    canvas.write_text("Student,ID,SIS User ID,SIS Login ID,Section,Lab 1 (99)\n"
                      "    Points Possible,,,,,20\n\"Jones, Bob\",23456,S9,bjones,A,\n")
    assert read_classlist(canvas) == [Member(name="Jones, Bob", lms_id="23456", sis_id="S9", login="bjones",
                                             section="A")]
    moodle = tmp_path / "moodle.csv"
    moodle.write_text("First name,Surname,ID number,Email address\nAlice,Smith,S1,alice@x.edu\n")
    assert read_classlist(moodle) == [Member(name="Alice Smith", sis_id="S1", email="alice@x.edu")]
    (tmp_path / "bad.csv").write_text("colour,size\nred,2\n")
    with pytest.raises(UsageError, match="needs a name, ID, login, email or SIS id column"):
        read_classlist(tmp_path / "bad.csv")


def test_matching_never_guesses() -> None:
    twins = [Member(name="Smith, John", lms_id="1"), Member(name="Smith, John", lms_id="2")]
    assert match(Identity(name="smithjohn", lms_id="2", source="canvas"), twins) == twins[1]
    assert match(Identity(name="smithjohn"), twins) is None  # two people: never guess
    moodle = [Member(name="Alice Smith", email="alice@x.edu")]
    assert match(Identity(name="Alice Smith", lms_id="777", source="moodle"), moodle) == moodle[0]
    assert match(Identity(name="alice"), moodle) == moodle[0]  # the email's local part


def test_read_grades_names_a_wrong_file(tmp_path: Path) -> None:
    (tmp_path / "grades.csv").write_text("a,b\n1,2\n")
    with pytest.raises(UsageError, match="not a grades.csv"):
        read_grades(tmp_path)
    with pytest.raises(UsageError, match="cannot read the gradebook"):
        read_grades(tmp_path / "nowhere")
