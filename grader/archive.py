"""Safe extraction of the .zip files an LMS exports (and students upload).

Rule: nothing in an archive is trusted. Before a byte is written the whole
table of contents is checked, and the archive is refused as a whole (with a
message saying which entry and why) when any entry

  * would land outside the target folder: `../x`, `/etc/x`, `C:\\x` (zip-slip);
  * is a symbolic link, a device or anything but a file or a folder;
  * pushes the file count or the total size over the caps, or expands more
    than MAX_RATIO times its compressed size (a zip bomb).

The caps hold for everything one run extracts, not for each archive: a class
zip holding student zips shares one Budget, so nesting cannot multiply them.
An archive refused half-way is removed again, and its bytes given back.

The sizes in the table of contents are claims: extraction counts the bytes it
really writes and stops at the caps too. Files are created with O_EXCL and
O_NOFOLLOW and mode 0644 whatever the archive says.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader.errors import UsageError

MAX_BYTES = 512 << 20  # total uncompressed bytes of one archive
MAX_FILES = 20_000
MAX_RATIO = 200  # uncompressed / compressed, for entries above RATIO_FLOOR
RATIO_FLOOR = 1 << 20
CHUNK = 1 << 16
DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True, slots=True, kw_only=True)
class Caps:
    max_bytes: int = MAX_BYTES
    max_files: int = MAX_FILES


@dataclass(slots=True)
class Budget:
    """What earlier archives of the same run have extracted (mutable: it is a running count)."""

    bytes: int = 0
    files: int = 0


class UnsafeArchive(UsageError):
    """The archive was refused; nothing of it was extracted."""


def is_zip(path: Path) -> bool:
    return path.is_file() and (path.suffix.lower() == ".zip" or zipfile.is_zipfile(path))


def extract(archive: Path, dest: Path, caps: Caps = Caps(), budget: Budget | None = None) -> dict[str, dt.datetime]:
    """Extract `archive` into `dest` (created); {relative path: entry time (naive)} of every file.

    `budget` counts what this run extracted before (nested archives): the caps hold for the sum.
    """
    budget = budget if budget is not None else Budget()
    fresh = not dest.exists()
    try:
        with zipfile.ZipFile(archive) as zf:
            members = _checked_members(archive, zf, caps, budget)
            dest.mkdir(parents=True, exist_ok=True)
            times, written = _write_members(archive, zf, members, dest, caps, budget)
    except BaseException as exc:
        if fresh:
            shutil.rmtree(dest, ignore_errors=True)  # nothing half-extracted stays, and its bytes are free again
        if isinstance(exc, zipfile.BadZipFile):
            raise UsageError(f"{archive.name}: not a readable zip archive ({exc})") from exc
        if isinstance(exc, (zipfile.LargeZipFile, NotImplementedError, RuntimeError)):  # compression, encryption
            raise UsageError(f"{archive.name}: cannot extract: {exc}") from exc
        if isinstance(exc, OSError):  # the scratch folder, not the archive: full, or gone
            raise UsageError(f"{archive.name}: cannot extract it into {dest}: {exc.strerror or exc}; free some "
                             "space there, or point TMPDIR at a folder with room") from exc
        raise
    budget.bytes += written
    budget.files += len(times)
    return times


def safe_parts(name: str) -> tuple[str, ...] | None:
    """The path components of an entry name, or None if it could escape the target folder."""
    name = name.replace("\\", "/")
    if name.startswith("/") or DRIVE.match(name) or "\0" in name:
        return None
    parts = tuple(p for p in PurePosixPath(name).parts if p not in ("", "."))
    if any(p == ".." for p in parts):
        return None
    return parts


def _refuse(archive: Path, entry: str, why: str) -> UnsafeArchive:
    return UnsafeArchive(f"{archive.name}: refused, nothing was extracted: entry '{entry}' {why}")


def _too_big(archive: Path, caps: Caps, budget: Budget, why: str) -> UnsafeArchive:
    if budget.bytes:
        return UnsafeArchive(f"{archive.name}: refused: with the {budget.bytes >> 20} MiB extracted before it "
                             f"(archives nested in archives count together), the total passes the cap of "
                             f"{caps.max_bytes >> 20} MiB (raise limits.archive_mb in grader.yml)")
    return UnsafeArchive(f"{archive.name}: refused: it expands to more than {caps.max_bytes >> 20} MiB ({why})")


def _checked_members(archive: Path, zf: zipfile.ZipFile, caps: Caps,
                     budget: Budget) -> list[tuple[zipfile.ZipInfo, tuple[str, ...]]]:
    infos = zf.infolist()
    if len(infos) + budget.files > caps.max_files:
        before = f" (with the {budget.files} extracted before it)" if budget.files else ""
        raise UnsafeArchive(f"{archive.name}: refused: {len(infos)} entries{before}, more than the cap of "
                            f"{caps.max_files} (raise limits.archive_files in grader.yml if this is a real export)")
    total = budget.bytes
    out = []
    for info in infos:
        parts = safe_parts(info.filename)
        if parts is None:
            raise _refuse(archive, info.filename, "points outside the target folder (zip-slip)")
        mode = info.external_attr >> 16
        kind = stat.S_IFMT(mode)
        if kind == stat.S_IFLNK:
            raise _refuse(archive, info.filename, "is a symbolic link")
        if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise _refuse(archive, info.filename, "is not a regular file or folder")
        total += info.file_size
        if total > caps.max_bytes:
            raise _too_big(archive, caps, budget, "a zip bomb, or raise limits.archive_mb in grader.yml")
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _refuse(archive, info.filename, f"expands {info.file_size // max(info.compress_size, 1)} "
                          "times its compressed size (a zip bomb)")
        if parts:
            out.append((info, parts))
    return out


def _write_members(archive: Path, zf: zipfile.ZipFile, members: list[tuple[zipfile.ZipInfo, tuple[str, ...]]],
                   dest: Path, caps: Caps, budget: Budget) -> tuple[dict[str, dt.datetime], int]:
    """Write the checked members; ({relative path: entry time}, bytes written)."""
    written = 0
    times: dict[str, dt.datetime] = {}
    root = dest.resolve()
    for info, parts in members:
        target = root.joinpath(*parts)
        if info.is_dir():
            _mkdirs(root, parts)
            continue
        _mkdirs(root, parts[:-1])
        rel = "/".join(parts)
        if rel in times:
            continue  # a duplicate entry: the first one wins
        if info.flag_bits & 0x1:
            raise _refuse(archive, info.filename, "is encrypted")
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as out, zf.open(info) as src:
            while chunk := src.read(CHUNK):
                written += len(chunk)
                if budget.bytes + written > caps.max_bytes:
                    raise _too_big(archive, caps, budget, "its table of contents understates the sizes: a zip bomb")
                out.write(chunk)
        times[rel] = dt.datetime(*info.date_time)
    return times, written


def _mkdirs(root: Path, parts: tuple[str, ...]) -> None:
    here = root
    for part in parts:
        here = here / part
        if here.is_symlink() or (here.exists() and not here.is_dir()):
            raise UnsafeArchive(f"'{'/'.join(parts)}' is both a file and a folder in the archive")
        here.mkdir(mode=0o755, exist_ok=True)
