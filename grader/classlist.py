"""The class list (roster file): who is enrolled, with the ids each LMS matches grades on.

A roster is a CSV, as Canvas and Moodle export it or written by hand. Columns
are matched by name, ignoring case (the first that is present wins):

    name      Student, Name, Full name, (First name + Last name / Surname)
    lms_id    ID, User ID, Canvas ID, id          Canvas's user id: in its download names
    sis_id    SIS User ID, ID number, idnumber, Student ID
    login     SIS Login ID, Login, Username
    email     Email address, Email, E-mail
    section   Section, Sections, Group

Canvas's gradebook export works as a roster as it is (its "Points Possible"
row is skipped), and so does Moodle's participants or grades export.

Rule: matching never guesses between two people. A submission is matched by
the strongest id it carries (the Canvas user id from the download name), then
by login, email, SIS id and name, each only when exactly one member has it;
anything else is reported as unmatched, never dropped silently.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from grader.errors import UsageError

COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("student", "name", "full name", "fullname"),
    "lms_id": ("id", "user id", "canvas id", "canvas user id"),
    "sis_id": ("sis user id", "id number", "idnumber", "student id", "student number"),
    "login": ("sis login id", "login", "login id", "username"),
    "email": ("email address", "email", "e-mail"),
    "section": ("section", "sections", "group", "groups"),
}
FIRST, LAST = ("first name", "firstname", "given name"), ("last name", "lastname", "surname", "family name")


@dataclass(frozen=True, slots=True, kw_only=True)
class Member:
    name: str
    lms_id: str = ""
    sis_id: str = ""
    login: str = ""
    email: str = ""
    section: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Identity:
    """What a submission's name says about its author (grader.roster reads it off the LMS download)."""

    name: str  # the name part: 'jonesbob' (Canvas), 'Alice Smith' (Moodle), the folder name otherwise
    lms_id: str = ""  # Canvas user id, or Moodle's participant id
    late: bool = False  # Canvas marked the submission LATE
    source: str = "folder"  # "canvas", "moodle" or "folder"


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def _squashed(name: str) -> set[str]:
    def squash(text: str) -> str:
        return re.sub(r"[^a-z0-9]", "", text.lower())

    return {squash(name), squash(" ".join(reversed(name.replace(",", " ").split())))}


def read_lms_csv(path: Path, what: str) -> list[dict[str, str]]:
    """The rows of a CSV an LMS exported (a BOM is fine); UsageError naming the file and `what` it is."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            return list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise UsageError(f"{path}: cannot read {what}: {exc}") from exc


def read_classlist(path: Path) -> list[Member]:
    """The members listed in a roster CSV; UsageError naming the file and what is missing."""
    rows = read_lms_csv(path, "the roster")
    if not rows:
        raise UsageError(f"{path}: the roster has no rows")
    header = {_norm(h): h for h in rows[0] if h}
    col = {field: next((header[c] for c in names if c in header), None) for field, names in COLUMNS.items()}
    first = next((header[c] for c in FIRST if c in header), None)
    last = next((header[c] for c in LAST if c in header), None)
    if col["name"] is None and first is None and not any(col[k] for k in ("lms_id", "login", "email", "sis_id")):
        raise UsageError(f"{path}: a roster needs a name, ID, login, email or SIS id column; found "
                         f"{', '.join(header.values())}")
    members = []
    for row in rows:
        def get(column: str | None, row: dict[str, str] = row) -> str:
            return (row.get(column) or "").strip() if column else ""

        name = get(col["name"]) or " ".join(p for p in (get(first), get(last)) if p)
        if "points possible" in _norm(name):
            continue  # Canvas's second header row
        member = Member(name=name, lms_id=get(col["lms_id"]), sis_id=get(col["sis_id"]), login=get(col["login"]),
                        email=get(col["email"]), section=get(col["section"]))
        if any((member.name, member.lms_id, member.sis_id, member.login, member.email)):
            members.append(member)
    return members


def match(identity: Identity, members: list[Member]) -> Member | None:
    """The one member this submission belongs to, or None (unmatched, or more than one candidate)."""
    def unique(found: list[Member]) -> Member | None:
        return found[0] if len(found) == 1 else None

    key = _norm(identity.name)
    tries: list[list[Member]] = []
    if identity.lms_id and identity.source == "canvas":
        tries.append([m for m in members if m.lms_id == identity.lms_id])
    tries += [
        [m for m in members if m.login and _norm(m.login) == key],
        [m for m in members if m.email and (_norm(m.email) == key or _norm(m.email).split("@")[0] == key)],
        [m for m in members if m.sis_id and _norm(m.sis_id) == key],
        [m for m in members if m.name and _norm(m.name) == key],
        # Canvas download names are the sortable name squashed: "Jones, Bob" (or "Bob Jones") -> "jonesbob".
        [m for m in members if m.name and re.sub(r"[^a-z0-9]", "", key) in _squashed(m.name)],
    ]
    if identity.lms_id and identity.source == "moodle":
        tries.append([m for m in members if m.lms_id == identity.lms_id])
    for found in tries:
        if (m := unique(found)) is not None:
            return m
        if len(found) > 1:
            return None  # two people share it: never guess
    return None
