"""Who submitted what: the students found in an LMS export (folder or .zip).

Shapes understood (after unwrapping folders that only hold one folder):

    alice/echo_server.py                         one folder per student (any depth below it)
    Alice Smith_12345_assignsubmission_file_/    Moodle "download all", folders
    Alice Smith_12345_assignsubmission_file_echo_server.py    Moodle, flat files
    smithalice_12345_67890_echo_server.py        Canvas (also _LATE_ and echo_server-1.py)
    alice.zip, or a folder holding only a .zip   a student's own archive, extracted safely

Anything else is skipped with a reason: stray files, folders without the lab's
file, archives that were refused. Hidden and system files (.DS_Store,
__MACOSX) are ignored and counted. The caps on extraction hold for the whole
export, student archives inside it included. Every submission is handed on
as a clean copy (grader.intake) made in a folder named by its collision-proof
slug; what intake left out is in Submission.notes.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from grader import archive
from grader.classlist import Identity, read_lms_csv
from grader.errors import UsageError
from grader.intake import take_in
from grader.labs import Lab
from grader.slugs import student_slug
from grader.submission import resolve, shown

MOODLE = re.compile(r"^(?P<key>.+?_\d+)_(?:assignsubmission|assignfeedback)_[a-z]+_(?P<file>.*)$")
CANVAS = re.compile(r"^(?P<name>[a-z0-9.\-]+?)(?P<late>_LATE)?_(?P<uid>\d+)_\d+_(?P<file>.+)$")
RESUBMIT = re.compile(r"-\d+(?=\.[^.]+$)")  # Canvas renames a resubmitted echo_server.py to echo_server-1.py
SYSTEM_FILES = {"__MACOSX", "Thumbs.db", "desktop.ini"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Submission:
    student: str
    folder: Path  # the clean copy (grader.intake), holds lab.file
    submitted: dt.datetime | None = None  # from the archive's entry times (naive), when known
    identity: Identity | None = None  # what the LMS download name says (Canvas user id, LATE flag)
    notes: tuple[str, ...] = ()  # files intake left out, links not followed: for the student's feedback


@dataclass(frozen=True, slots=True, kw_only=True)
class Skipped:
    name: str
    reason: str
    student: bool  # True: a student with nothing gradable; False: a stray entry


@dataclass(slots=True)
class Roster:
    submissions: list[Submission] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    ignored: int = 0  # hidden and system files


def discover(lab: Lab, source: Path, work: Path, caps: archive.Caps = archive.Caps()) -> Roster:
    """The students in `source` (folder or .zip); `work` is a scratch folder for extraction and staging."""
    times: dict[str, dt.datetime] = {}
    budget = archive.Budget()  # shared by the export and every archive inside it
    if archive.is_zip(source):
        root = work / "extracted"
        times = {str(root / k): v for k, v in archive.extract(source, root, caps, budget).items()}
    elif source.is_dir():
        root = source
    elif source.exists():
        raise UsageError(f"{shown(source)}: expected a folder with one sub-folder per student, or a .zip of one")
    else:
        raise UsageError(f"{shown(source)}: no such file or folder")
    root = _unwrap(root, lab)
    roster = Roster()
    groups: dict[str, list[Path]] = {}  # student -> folders or files
    identities: dict[str, Identity] = {}
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or entry.name in SYSTEM_FILES:
            roster.ignored += 1
        elif entry.is_symlink():
            roster.skipped.append(Skipped(name=entry.name, reason="a symbolic link (not followed)", student=False))
        elif entry.is_dir():
            match = MOODLE.match(entry.name + ("" if entry.name.endswith("_") else "_"))
            key = match["key"] if match else entry.name
            groups.setdefault(key, []).append(entry)
            identities.setdefault(key, identity_of(key, moodle=match is not None))
        elif (owner := _file_owner(entry.name)) is not None:
            key, identity = owner
            groups.setdefault(key, []).append(entry)
            previous = identities.get(key)
            identities[key] = identity if previous is None else Identity(
                name=identity.name, lms_id=identity.lms_id, source=identity.source,
                late=previous.late or identity.late)
        elif archive.is_zip(entry):
            groups.setdefault(entry.stem, []).append(entry)
        else:
            roster.skipped.append(Skipped(name=entry.name, student=False, reason=(
                "a file that names no student: expected one folder per student, or LMS file names like "
                f"'Alice Smith_12345_assignsubmission_file_{lab.file}' or 'smithalice_12345_67890_{lab.file}'")))
    if not groups and not roster.skipped:
        raise UsageError(f"{shown(source)}: no submissions in it (it is empty)")
    staging = work / "students"
    for student, entries in sorted(groups.items()):
        here = staging / student_slug(student)
        try:
            intake = take_in(lab, _stage(lab, entries, here / "raw", caps, budget), here / "clean")
        except UsageError as exc:
            roster.skipped.append(Skipped(name=student, reason=_short(str(exc), here / "raw", root), student=True))
            continue
        stamps = [t for p, t in times.items() if any(p == str(e) or p.startswith(str(e) + "/") for e in entries)]
        roster.submissions.append(Submission(student=student, folder=intake.folder, notes=intake.notes,
                                             submitted=max(stamps, default=None),
                                             identity=identities.get(student) or identity_of(student)))
    return roster


def _unwrap(root: Path, lab: Lab) -> Path:
    """Descend through folders that hold nothing but one folder (zip exports nest: `export/lab1/...`)."""
    while True:
        visible = [e for e in root.iterdir() if not e.name.startswith(".") and e.name not in SYSTEM_FILES]
        if len(visible) != 1 or not visible[0].is_dir() or visible[0].is_symlink():
            return root
        inner = visible[0]
        if (inner / lab.file).exists():  # a class of one student
            return root
        root = inner


def _file_owner(name: str) -> tuple[str, Identity] | None:
    """(student key, identity) of an LMS file name; the Canvas key keeps the user id (two 'smithjohn's)."""
    if match := MOODLE.match(name):
        return match["key"], identity_of(match["key"], moodle=True)
    if match := CANVAS.match(name):
        return (f"{match['name']}_{match['uid']}",
                Identity(name=match["name"], lms_id=match["uid"], late=bool(match["late"]), source="canvas"))
    return None


def identity_of(key: str, moodle: bool = False) -> Identity:
    """A student key read as 'Name_12345' (Moodle's download shape) or as a plain name."""
    if moodle and (m := re.fullmatch(r"(?P<name>.+?)_(?P<id>\d+)", key)):
        return Identity(name=m["name"], lms_id=m["id"], source="moodle")
    return Identity(name=key)


def _original_name(name: str) -> str:
    for pattern in (MOODLE, CANVAS):
        if match := pattern.match(name):
            return RESUBMIT.sub("", match["file"])
    return name


def _stage(lab: Lab, entries: list[Path], staging: Path, caps: archive.Caps, budget: archive.Budget) -> Path:
    """The folder holding this student's lab.file: one of theirs, or one staged from their files and archives."""
    folders = [e for e in entries if e.is_dir()]
    for folder in folders:
        try:
            return resolve(lab, folder)
        except UsageError:
            continue
    files = [e for e in entries if e.is_file()]
    for folder in folders:  # a folder holding nothing but the student's own zip
        files += [f for f in folder.iterdir() if archive.is_zip(f)]
    if files:
        staging.mkdir(parents=True, exist_ok=True)
        for f in files:
            if archive.is_zip(f):
                try:
                    archive.extract(f, staging / f.stem, caps, budget)
                except archive.UnsafeArchive as exc:
                    raise UsageError(f"their archive was refused: {exc}") from exc
            else:
                shutil.copyfile(f, staging / _original_name(f.name))
        return resolve(lab, staging)
    if folders:
        return resolve(lab, folders[0])  # raises, saying what the folder holds instead
    raise UsageError(f"no {lab.file} submitted")


def _short(message: str, *roots: Path) -> str:
    for root in roots:
        message = message.replace(shown(root) + "/", "")
    return message


# ------------------------------------------------------------------ submission times from an LMS CSV

STUDENT_COLUMNS = ("student", "name", "full name", "identifier", "login", "sis login id", "username")
TIME_COLUMNS = ("submitted", "submitted_at", "submitted at", "submission time", "last modified (submission)",
                "timestamp", "time")
TIME_FORMATS = ("%A, %d %B %Y, %I:%M %p", "%A, %d %B %Y, %H:%M", "%d %B %Y, %I:%M %p", "%Y-%m-%d %H:%M")


def read_times(path: Path) -> dict[str, dt.datetime]:
    """{student: submission time} from a CSV an LMS exports (column names matched loosely)."""
    rows = read_lms_csv(path, "submission times")
    if not rows:
        return {}
    header = {h.strip().lower(): h for h in rows[0] if h}
    who = next((header[c] for c in STUDENT_COLUMNS if c in header), None)
    when = next((header[c] for c in TIME_COLUMNS if c in header), None)
    if who is None or when is None:
        raise UsageError(f"{path}: expected a student column ({', '.join(STUDENT_COLUMNS)}) and a time column "
                         f"({', '.join(TIME_COLUMNS)}); found {', '.join(header.values())}")
    out = {}
    for n, row in enumerate(rows, start=2):
        text = (row.get(when) or "").strip()
        if not text or text in ("-", "No submission"):
            continue
        stamp = parse_time(text)
        if stamp is None:
            raise UsageError(f"{path}: line {n}: cannot read the time {text!r} (use ISO 8601, e.g. "
                             "2025-10-10T23:59:00+02:00)")
        out[(row.get(who) or "").strip()] = stamp
    return out


def parse_time(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    for fmt in TIME_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def time_for(student: str, times: dict[str, dt.datetime]) -> dt.datetime | None:
    """Match a student key to the CSV: exactly, then by name without the LMS id, ignoring case."""
    if student in times:
        return times[student]
    lowered = {k.lower(): v for k, v in times.items()}
    name = re.sub(r"_\d+$", "", student).lower()
    return lowered.get(student.lower()) or lowered.get(name)
