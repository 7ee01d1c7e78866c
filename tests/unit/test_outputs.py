"""Outputs that cannot be written: exit 2 with the path and what to do, the old file kept, no .tmp left.

The disks are real: a small tmpfs in a private mount namespace (tests/small_disk.py),
filled or remounted read-only, and RLIMIT_FSIZE in a child process.
"""

from __future__ import annotations

import json
import multiprocessing
import resource
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from small_disk import SmallDisk

from grader.atomic import write_atomic
from grader.errors import OutputError

WRITE = """
import sys
from pathlib import Path
from grader.atomic import write_atomic
from grader.errors import OutputError
try:
    write_atomic(Path(sys.argv[1]), b"new" * int(sys.argv[2]))
except OutputError as exc:
    print(exc)
    sys.exit(exc.exit_code)
"""


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[SmallDisk]:
    d = SmallDisk(tmp_path / "disk", size_kib=256)
    yield d
    d.close()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith(".tmp"))


def test_disk_full_keeps_the_old_file_and_leaves_no_temporary(disk: SmallDisk) -> None:
    target = disk.where / "grades.csv"
    assert disk.run(sys.executable, "-c", WRITE, target, 10).returncode == 0
    disk.fill()
    done = disk.run(sys.executable, "-c", WRITE, target, 100_000)
    assert done.returncode == 2
    assert done.stdout.strip() == (f"cannot write {target}: No space left on device; the disk is full: free some "
                                   "space there, or write to another place; then run the command again")
    assert disk.seen(target).read_bytes() == b"new" * 10 and leftovers(disk.seen(disk.where)) == []


def test_read_only_folder(disk: SmallDisk) -> None:
    disk.read_only()
    done = disk.run(sys.executable, "-c", WRITE, disk.where / "report.html", 1)
    assert done.returncode == 2 and done.stdout.strip() == (
        f"cannot write {disk.where}/report.html: Read-only file system; that file system is read-only: "
        "write to another place")


def test_missing_folder_and_a_folder_as_target(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"cannot write .*/nowhere/x.zip: No such file or directory; its folder "
                                          r"does not exist: create it first, or write to another place"):
        write_atomic(tmp_path / "nowhere" / "x.zip", b"z", make_parents=False)
    (tmp_path / "adir").mkdir()
    with pytest.raises(OutputError, match=r"adir: Is a directory; that is a folder, not a file"):
        write_atomic(tmp_path / "adir", b"z")
    assert leftovers(tmp_path) == []


def _write_over_limit(target: Path, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
    try:
        write_atomic(target, b"x" * 10_000)
        queue.put("written")
    except OutputError as exc:
        queue.put(str(exc))


def test_file_size_limit(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_write_over_limit, args=(tmp_path / "junit.xml", queue))
    child.start()
    message = queue.get(timeout=60)
    child.join(60)
    assert message == (f"cannot write {tmp_path}/junit.xml: File too large; the file is larger than this session "
                       "may write (ulimit -f): raise that limit, or write to another place")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ the commands


def test_export_to_a_read_only_or_full_place(disk: SmallDisk, tmp_path: Path) -> None:
    target = disk.where / "ag.zip"
    disk.fill()
    done = disk.grader("export", "gradescope", "tcp_echo", "-o", target, cwd=tmp_path)
    assert done.returncode == 2 and "internal error" not in done.stderr and "Traceback" not in done.stderr
    assert done.stderr.strip() == (f"error: cannot write {target}: No space left on device; the disk is full: free "
                                   "some space there, or choose another place with -o; then run the command again")
    disk.free()
    disk.read_only()
    done = disk.grader("export", "gradescope", "tcp_echo", "-o", target, cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.strip() == (
        f"error: cannot write {target}: Read-only file system; that file system is read-only: choose another "
        "place with -o")
    assert leftovers(disk.seen(disk.where)) == []


def test_export_into_a_folder_or_a_missing_one(tmp_path: Path, grader_cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dist").mkdir()
    code, out, err = grader_cli("export", "gradescope", "tcp_echo", "-o", "dist")
    assert code == 0 and out.strip() == "dist/tcp_echo-autograder.zip", err
    assert zipfile.ZipFile(tmp_path / "dist" / "tcp_echo-autograder.zip").testzip() is None
    code, out, err = grader_cli("export", "gradescope", "tcp_echo", "-o", "missing/ag.zip")
    assert code == 2 and err.strip() == ("error: cannot write missing/ag.zip: No such file or directory; its folder "
                                         "does not exist: create it first, or choose another place with -o")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["dist", "tcp_echo-autograder.zip"]  # no dist.tmp


def test_report_to_an_unwritable_place(disk: SmallDisk, tmp_path: Path) -> None:
    results = tmp_path / "results"
    (results / "ann").mkdir(parents=True)
    (results / "ann" / "results.json").write_text(json.dumps({
        "schema_version": 1, "lab": "tcp_echo", "tests": [], "extra_data": {"batch": {"student": "ann"}}}))
    disk.read_only()
    done = disk.grader("report", results, "-o", disk.where / "r.html", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.strip() == (
        f"error: cannot write {disk.where}/r.html: Read-only file system; that file system is read-only: "
        "choose another file with -o")


def test_gradescope_finish_to_a_read_only_place(disk: SmallDisk, tmp_path: Path) -> None:
    (tmp_path / "out").write_text("")
    (tmp_path / "err").write_text("")
    disk.read_only()
    done = disk.run(sys.executable, "-m", "grader.export", "finish", "--exit-code", "2", "--stdout",
                    tmp_path / "out", "--stderr", tmp_path / "err", "--out", disk.where / "results.json")
    assert done.returncode == 2 and "error: cannot write" in done.stderr and "Read-only file system" in done.stderr


def test_a_full_scratch_folder_says_where_and_what_to_do(disk: SmallDisk, tmp_path: Path) -> None:
    import os

    from archives import zip_bytes

    (tmp_path / "class.zip").write_bytes(zip_bytes({"ann/echo_server.py": b"x", "ann/big.bin": os.urandom(300_000)}))
    code = ("import sys; from pathlib import Path; from grader import roster; from grader.labs import get_lab\n"
            "from grader.errors import UsageError\n"
            "try: roster.discover(get_lab('tcp_echo'), Path(sys.argv[1]), Path(sys.argv[2]))\n"
            "except UsageError as exc: print(exc); sys.exit(2)\n")
    done = disk.run(sys.executable, "-c", code, tmp_path / "class.zip", disk.where / "work")
    assert done.returncode == 2 and done.stdout.strip() == (
        f"class.zip: cannot extract it into {disk.where}/work/extracted: No space left on device; free some space "
        "there, or point TMPDIR at a folder with room")
    assert not disk.seen(disk.where / "work" / "extracted").exists()  # the half-extracted class is removed
