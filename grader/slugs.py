"""A student's folder name in the output and scratch folders: readable, and never shared.

Rule: two different student names never get the same folder, on any file
system (case-insensitive or Unicode-normalising ones included). A name made
only of lower-case ASCII letters, digits and `_ . -` (starting with a letter,
digit or `_`, not ending in `.`) is its own folder name, so classes of
`alice` and `student042` keep their folders. Every other name gets a readable
part (unsafe characters replaced) followed by `~` and 16 hex digits of the
SHA-256 of the name itself. `~` never appears in a name kept as it is, nor in
a readable part, so a kept name cannot equal a hashed one, and two hashed ones
are equal only if their hashes are. The original name lives in results.json
and grades.csv; the folder name is only where the files are.
"""

from __future__ import annotations

import hashlib
import re

PLAIN = re.compile(r"[a-z0-9_][a-z0-9_.\-]*")
UNSAFE = re.compile(r"[^\w.\- ]|~")  # \w is Unicode-aware: accented names stay readable
MAX_PLAIN = 64  # characters kept as they are; longer names are shortened and hashed
READABLE = 48  # characters of the readable part of a hashed name (file names have 255 bytes)


def student_slug(name: str) -> str:
    if len(name) <= MAX_PLAIN and PLAIN.fullmatch(name) and not name.endswith("."):
        return name
    readable = UNSAFE.sub("_", name).strip(". ")[:READABLE].rstrip(". ") or "student"
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return f"{readable}~{digest}"
