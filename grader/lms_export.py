"""`grader export canvas|moodle RESULTS`: grades.csv in the LMS's own import format.

Canvas (Grades > Import): a CSV whose first columns are Student, ID, SIS User
ID, SIS Login ID and Section, which Canvas matches rows on, and then one
column per assignment. A column named "Title (12345)" updates assignment
12345; any other name creates a new assignment of that name, so exactly one
score column is written. A blank score leaves Canvas's grade unchanged.

Moodle (Grades > Import > CSV file): any columns; the import maps one column
to the user (email address, ID number, username or user id) and others to
grade items and their feedback. It stops at the first row whose user it
cannot find, so only rows that carry the chosen key are written.

Rule: a student in grades.csv who cannot be matched to the roster (or, for
Canvas, has no Canvas id of their own) is listed as unmatched on stderr and
left out of the file, never given to the wrong person.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from grader.classlist import Identity, Member, match
from grader.errors import UsageError
from grader.roster import identity_of

CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_KEYS = {"email": "Email address", "idnumber": "ID number", "username": "Username"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Grade:
    student: str  # the key in grades.csv
    lms_id: str
    score: str  # "" when not graded
    max_score: str
    status: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Export:
    text: str
    rows: int
    unmatched: list[str]


def read_grades(results: Path) -> list[Grade]:
    path = results / "grades.csv" if results.is_dir() else results
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the gradebook ({exc.strerror or exc}); pass the --out folder of "
                         "`grader grade`") from exc
    if rows and not {"student", "score", "max_score", "status"} <= set(rows[0]):
        raise UsageError(f"{path}: not a grades.csv of `grader grade` (columns: {', '.join(rows[0])})")
    return [Grade(student=_plain(r["student"]), lms_id=r.get("lms_id", ""), score=r["score"],
                  max_score=r["max_score"], status=r["status"]) for r in rows]


def _plain(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:2] in ("=", "+", "-", "@", "\t", "\r") else cell


def _identity(g: Grade, source: str) -> Identity:
    """The student as the export's LMS named them: an lms_id in grades.csv came from that LMS's download."""
    if g.lms_id and g.student.endswith("_" + g.lms_id):
        return Identity(name=g.student.removesuffix("_" + g.lms_id), lms_id=g.lms_id, source=source)
    return identity_of(g.student)


def _cell(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def canvas_csv(grades: list[Grade], members: list[Member] | None, assignment: str) -> Export:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([*CANVAS_COLUMNS, assignment])
    unmatched, rows = [], 0
    for g in grades:
        identity = _identity(g, "canvas")
        member = match(identity, members) if members is not None else None
        if member is None and identity.source == "canvas":
            member = Member(name=identity.name, lms_id=identity.lms_id)  # the download name carries the id
        if member is None or not (member.lms_id or member.sis_id or member.login):
            unmatched.append(g.student)
            continue
        w.writerow([_cell(member.name), member.lms_id, _cell(member.sis_id), _cell(member.login),
                    _cell(member.section), g.score])
        rows += 1
    return Export(text=out.getvalue(), rows=rows, unmatched=unmatched)


def moodle_csv(grades: list[Grade], members: list[Member], item: str, key: str = "email") -> Export:
    if key not in MOODLE_KEYS:
        raise UsageError(f"--key {key}: expected one of {', '.join(MOODLE_KEYS)}")
    field = {"email": "email", "idnumber": "sis_id", "username": "login"}[key]
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["Full name", MOODLE_KEYS[key], item, f"{item} (feedback)"])
    unmatched, rows = [], 0
    for g in grades:
        member = match(_identity(g, "moodle"), members)
        value = getattr(member, field) if member is not None else ""
        if not value:
            unmatched.append(g.student)
            continue
        feedback = (f"Autograder: {g.score} / {g.max_score}." if g.score else "Not graded by the autograder.") + \
            f" {g.status}"
        w.writerow([_cell(member.name if member else ""), _cell(value), g.score, _cell(feedback)])
        rows += 1
    return Export(text=out.getvalue(), rows=rows, unmatched=unmatched)
