"""Archives are extracted safely, LMS export shapes are understood, and the gradebook never invents a zero."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import stat
import zipfile
from pathlib import Path

import pytest

from grader import archive, batch, roster
from grader.classlist import Identity
from grader.atomic import sweep_temp, write_atomic
from grader.errors import UsageError
from grader.labs import get_lab
from grader.reports.gradebook import Entry, feedback_text, grades_csv, summary
from grader.results import CheckResult, Report, error_report

SOURCE = b"print('echo')\n"


@pytest.fixture(scope="module")
def lab():  # type: ignore[no-untyped-def]
    return get_lab("tcp_echo")


def make_zip(path: Path, entries: dict[str, bytes], symlinks: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=(2025, 10, 10, 12, 30, 0))
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return path


# ------------------------------------------------------------------ safe extraction


@pytest.mark.parametrize("name", ["../evil.py", "a/../../evil.py", "/etc/evil.py", "C:\\evil.py", "a\\..\\..\\x"])
def test_zip_slip_is_refused_and_nothing_extracted(tmp_path: Path, name: str) -> None:
    z = make_zip(tmp_path / "class.zip", {"alice/echo_server.py": SOURCE, name: b"x"})
    with pytest.raises(archive.UnsafeArchive, match="zip-slip"):
        archive.extract(z, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "evil.py").exists()


def test_symlink_entries_are_refused(tmp_path: Path) -> None:
    z = make_zip(tmp_path / "class.zip", {"alice/echo_server.py": SOURCE}, symlinks={"bob/echo_server.py": "/etc/passwd"})
    with pytest.raises(archive.UnsafeArchive, match="'bob/echo_server.py' is a symbolic link"):
        archive.extract(z, tmp_path / "out")


def test_zip_bomb_is_refused(tmp_path: Path) -> None:
    z = make_zip(tmp_path / "bomb.zip", {"alice/echo_server.py": b"\0" * (8 << 20)})
    with pytest.raises(archive.UnsafeArchive, match="zip bomb"):
        archive.extract(z, tmp_path / "out")


def test_size_and_count_caps(tmp_path: Path) -> None:
    z = make_zip(tmp_path / "class.zip", {f"s{i}/echo_server.py": SOURCE * 100 for i in range(30)})
    with pytest.raises(archive.UnsafeArchive, match="more than the cap of 10"):
        archive.extract(z, tmp_path / "a", archive.Caps(max_files=10))
    with pytest.raises(archive.UnsafeArchive, match="expands to more than"):
        archive.extract(z, tmp_path / "b", archive.Caps(max_bytes=1000))


def test_not_a_zip(tmp_path: Path) -> None:
    bad = tmp_path / "class.zip"
    bad.write_bytes(b"this is not a zip")
    with pytest.raises(UsageError, match="not a readable zip archive"):
        archive.extract(bad, tmp_path / "out")


def test_extraction_keeps_names_and_times(tmp_path: Path) -> None:
    z = make_zip(tmp_path / "class.zip", {"alice/echo_server.py": SOURCE, "alice/notes/": b""})
    times = archive.extract(z, tmp_path / "out")
    assert (tmp_path / "out/alice/echo_server.py").read_bytes() == SOURCE
    assert times == {"alice/echo_server.py": dt.datetime(2025, 10, 10, 12, 30)}


# ------------------------------------------------------------------ LMS shapes


def tree(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def test_folders_nested_in_a_wrapper_with_stray_files(tmp_path: Path, lab) -> None:  # type: ignore[no-untyped-def]
    src = tree(tmp_path / "src", {
        "export/lab1/alice/echo_server.py": SOURCE,
        "export/lab1/bob/src/deep/echo_server.py": SOURCE,
        "export/lab1/carol/server.py": SOURCE,
        "export/lab1/index.html": b"<html>",
        "export/lab1/.DS_Store": b"",
        "export/lab1/__MACOSX/alice/._echo_server.py": b"",
    })
    found = roster.discover(lab, src, tmp_path / "work")
    assert [s.student for s in found.submissions] == ["alice", "bob"]
    assert (found.submissions[1].folder / "echo_server.py").read_bytes() == SOURCE  # the clean copy of src/deep
    reasons = {s.name: s for s in found.skipped}
    assert reasons["carol"].student and "expects a file named echo_server.py; found server.py" in reasons["carol"].reason
    assert not reasons["index.html"].student and "names no student" in reasons["index.html"].reason
    assert found.ignored == 2


def test_moodle_and_canvas_flat_files(tmp_path: Path, lab) -> None:  # type: ignore[no-untyped-def]
    src = tree(tmp_path / "src", {
        "Alice Smith_12345_assignsubmission_file_echo_server.py": SOURCE,
        "Alice Smith_12345_assignsubmission_file_README.txt": b"hi",
        "Bob Jones_23456_assignsubmission_file_/echo_server.py": SOURCE,
        "smithcarol_34567_89012_echo_server-1.py": SOURCE,
        "leedan_LATE_45678_90123_echo_server.py": SOURCE,
    })
    found = roster.discover(lab, src, tmp_path / "work")
    assert [s.student for s in found.submissions] == ["Alice Smith_12345", "Bob Jones_23456", "leedan_45678",
                                                      "smithcarol_34567"]
    ids = {s.student: s.identity for s in found.submissions}
    assert ids["leedan_45678"] == Identity(name="leedan", lms_id="45678", late=True, source="canvas")
    assert ids["smithcarol_34567"] == Identity(name="smithcarol", lms_id="34567", late=False, source="canvas")
    assert ids["Bob Jones_23456"] == Identity(name="Bob Jones", lms_id="23456", source="moodle")
    alice = found.submissions[0].folder
    assert sorted(p.name for p in alice.iterdir()) == ["README.txt", "echo_server.py"]
    assert (found.submissions[3].folder / "echo_server.py").read_bytes() == SOURCE
    assert found.skipped == []


def test_zip_export_with_a_student_zip_and_times(tmp_path: Path, lab) -> None:  # type: ignore[no-untyped-def]
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("lab1/echo_server.py", SOURCE)
    z = make_zip(tmp_path / "class.zip", {"alice/echo_server.py": SOURCE, "bob.zip": inner.getvalue()})
    found = roster.discover(lab, z, tmp_path / "work")
    assert [s.student for s in found.submissions] == ["alice", "bob"]
    assert found.submissions[0].submitted == dt.datetime(2025, 10, 10, 12, 30)


def test_a_students_bad_zip_skips_only_that_student(tmp_path: Path, lab) -> None:  # type: ignore[no-untyped-def]
    evil = tmp_path / "evil.zip"
    make_zip(evil, {"../../escape.py": b"x"})
    src = tree(tmp_path / "src", {"alice/echo_server.py": SOURCE, "mallory/submission.zip": evil.read_bytes()})
    found = roster.discover(lab, src, tmp_path / "work")
    assert [s.student for s in found.submissions] == ["alice"]
    assert found.skipped[0].name == "mallory" and "zip-slip" in found.skipped[0].reason


def test_empty_folder_and_missing_source(tmp_path: Path, lab) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="no submissions in it"):
        roster.discover(lab, tmp_path / "empty", tmp_path / "work")
    with pytest.raises(UsageError, match="no such file or folder"):
        roster.discover(lab, tmp_path / "nowhere", tmp_path / "work")


def test_submission_times_csv_moodle_style(tmp_path: Path) -> None:
    path = tmp_path / "times.csv"
    path.write_text("Full name,Email address,Last modified (submission)\n"
                    "Alice Smith,a@x,\"Friday, 10 October 2025, 11:58 PM\"\nBob Jones,b@x,-\n")
    times = roster.read_times(path)
    assert times == {"Alice Smith": dt.datetime(2025, 10, 10, 23, 58)}
    assert roster.time_for("Alice Smith_12345", times) == dt.datetime(2025, 10, 10, 23, 58)
    path.write_text("who,when\nx,y\n")
    with pytest.raises(UsageError, match="expected a student column"):
        roster.read_times(path)


# ------------------------------------------------------------------ gradebook


def report(points: dict[str, tuple[float, float]], hidden: frozenset[str] = frozenset()) -> Report:
    return Report(lab="tcp_echo", tests=tuple(
        CheckResult(name=n, score=s, max_score=m, outcome="passed" if s == m else "failed",
                    output="" if s == m else f"{n} went wrong: SECRET",
                    visibility="after_published" if n in hidden else "visible")
        for n, (s, m) in points.items()))


def test_grades_csv_leaves_errors_empty_and_escapes_formulas() -> None:
    good = report({"compiles": (0, 0), "echo_short": (2, 2), "echo_large": (0, 3)})
    entries = [
        Entry(student="=HYPERLINK(evil)", report=good, status="graded"),
        Entry(student="bob", report=error_report("tcp_echo", "engine down"), status="error: retried"),
        Entry(student="carol", report=None, status="not graded: no echo_server.py"),
        Entry(student="dan_45678", report=good, status="graded, 1 day(s) late, -10%", days_late=1, penalty=10,
              lms_id="45678"),
    ]
    rows = list(csv.reader(io.StringIO(grades_csv(entries))))
    assert rows[0] == ["student", "lms_id", "score", "max_score", "echo_short", "echo_large", "late_days", "status"]
    assert rows[1] == ["'=HYPERLINK(evil)", "", "2", "5", "2", "0", "0", "graded"]
    assert rows[2] == ["bob", "", "", "", "", "", "", "error: retried"]
    assert rows[3] == ["carol", "", "", "", "", "", "", "not graded: no echo_server.py"]
    assert rows[4][:4] == ["dan_45678", "45678", "1.8", "5"]
    doc = summary("tcp_echo", entries, {})
    assert doc["errors"] == ["bob"] and doc["graded"] == 2 and doc["checks"]["echo_large"] == {"passed": 0, "total": 2}


def test_feedback_leaves_out_hidden_details() -> None:
    r = report({"echo_short": (0, 2), "echo_large": (0, 3)}, hidden=frozenset({"echo_large"}))
    text = feedback_text("tcp_echo", Entry(student="alice", report=r, status="graded"))
    assert "echo_short went wrong" in text
    assert "echo_large went wrong" not in text and "hidden check" in text
    assert "\033[" not in text


# ------------------------------------------------------------------ resume records and atomic files


def test_plan_resumes_only_valid_records(tmp_path: Path, lab) -> None:  # type: ignore[no-untyped-def]
    src = tree(tmp_path / "src", {f"{n}/echo_server.py": n.encode() for n in ("ann", "ben", "cat", "dee")})
    subs = roster.discover(lab, src, tmp_path / "work").submissions
    out = tmp_path / "out"
    good = report({"echo_short": (2, 2)})
    for sub in subs:
        rec = batch.record_of(sub, "H")
        r = error_report("tcp_echo", "boom") if sub.student == "cat" else good
        write_atomic(batch.student_dir(out, sub.student) / "results.json", batch.results_document(r, rec))
    (src / "ben/echo_server.py").write_bytes(b"changed")  # new content: regrade
    (out / "dee/results.json").write_text('{"half-written')  # unreadable: regrade
    subs = roster.discover(lab, src, tmp_path / "work2").submissions  # the next run's clean copies
    p = batch.plan(lab, subs, out, "H")
    assert sorted(s.student for s, _ in p.todo) == ["ben", "cat", "dee"] and list(p.kept) == ["ann"]
    assert len(batch.plan(lab, subs, out, "other-checks").todo) == 4
    assert len(batch.plan(lab, subs, out, "H", force=True).todo) == 4
    only = batch.plan(lab, subs, out, "H", only=frozenset({"ann"}))
    assert [s.student for s, _ in only.todo] == ["ann"] and sorted(only.kept) == ["ben", "cat"]
    stored = json.loads((out / "ann/results.json").read_text())
    assert stored["extra_data"]["batch"]["grader_version"] and stored["score"] == 2


def test_atomic_write_replaces_whole_files_and_sweeps_leftovers(tmp_path: Path) -> None:
    target = tmp_path / "a" / "grades.csv"
    write_atomic(target, "one")
    write_atomic(target, "two")
    assert target.read_text() == "two"
    (tmp_path / "a" / ".grades.csv.x1.tmp").write_text("half")
    assert sweep_temp(tmp_path) == 1
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["grades.csv"]
