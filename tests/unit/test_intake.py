"""Intake never drops the lab's file: big and unreadable extras, links, nested archives, student folders, scratch."""

from __future__ import annotations

import multiprocessing
import os
import signal
import tempfile
from pathlib import Path

import pytest
from archives import zip_bytes

from grader import archive, intake, roster
from grader.errors import UsageError
from grader.labs import get_lab
from grader.scratch import owned_scratch, sweep_abandoned
from grader.slugs import student_slug
from harness.runner import COPY_CAP

SOURCE = b"print('echo')\n"
LAB = get_lab("tcp_echo")


def folder(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def copied(result: intake.Intake) -> dict[str, bytes]:
    return {p.relative_to(result.folder).as_posix(): p.read_bytes()
            for p in sorted(result.folder.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------ big, unreadable and odd extra files


def test_a_200_mb_file_sorting_first_is_named_and_left_out(tmp_path: Path) -> None:
    sub = folder(tmp_path / "alice", {"echo_server.py": SOURCE, "notes.txt": b"hello"})
    with open(sub / "a_capture.pcap", "wb") as f:  # sorts before echo_server.py; sparse, so the test is cheap
        f.truncate(200 << 20)
    result = intake.take_in(LAB, sub, tmp_path / "copy")
    assert copied(result) == {"echo_server.py": SOURCE, "notes.txt": b"hello"}
    assert result.notes == (("a_capture.pcap: left out, it is 200.0 MiB and a submission may hold 32.0 MiB in all "
                             "(echo_server.py first, then the smaller files). The checks ran without it."),)


def test_the_cap_keeps_the_lab_file_then_the_smallest(tmp_path: Path) -> None:
    sub = folder(tmp_path / "bob", {"echo_server.py": b"x" * 400, "a.bin": b"a" * 500, "b.bin": b"b" * 300,
                                    "c.bin": b"c" * 200})
    result = intake.take_in(LAB, sub, tmp_path / "copy", max_bytes=1000)
    assert sorted(copied(result)) == ["b.bin", "c.bin", "echo_server.py"]
    assert [n.split(":")[0] for n in result.notes] == ["a.bin"]


def test_an_oversize_lab_file_is_refused_by_name(tmp_path: Path) -> None:
    sub = folder(tmp_path / "carl", {"echo_server.py": b"#" * 2000})
    with pytest.raises(UsageError, match=r"echo_server.py is 2000 bytes, more than the 1000 bytes a submission"):
        intake.take_in(LAB, sub, tmp_path / "copy", max_bytes=1000)


def test_intake_fits_in_the_sandbox_copy() -> None:
    assert intake.MAX_BYTES <= COPY_CAP  # so harness.runner.copy_submission never drops anything we kept


def _take_in_as_nobody(sub: Path, dest: Path, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    os.setgid(65534)
    os.setuid(65534)  # root reads every file: only another user meets a permission error
    try:
        queue.put(intake.take_in(LAB, sub, dest).notes)
    except UsageError as exc:
        queue.put(str(exc))


def take_in_unprivileged(sub: Path, dest: Path) -> tuple[str, ...] | str:
    if os.geteuid() != 0:
        try:
            return intake.take_in(LAB, sub, dest).notes
        except UsageError as exc:
            return str(exc)
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_take_in_as_nobody, args=(sub, dest, queue))
    child.start()
    result = queue.get(timeout=60)
    child.join(60)
    return result  # type: ignore[no-any-return]


@pytest.fixture
def shared_tmp() -> Path:
    """A folder every user may enter (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="intake-test-"))
    path.chmod(0o777)
    yield path  # type: ignore[misc]
    import shutil

    shutil.rmtree(path)


def test_an_unreadable_extra_file_is_named_and_left_out(shared_tmp: Path) -> None:
    sub = folder(shared_tmp / "dana", {"echo_server.py": SOURCE, "secret.txt": b"x", "ok.txt": b"y"})
    sub.chmod(0o755)
    (sub / "secret.txt").chmod(0o000)
    notes = take_in_unprivileged(sub, shared_tmp / "copy")
    assert notes == ("secret.txt: left out, it cannot be read (Permission denied). The checks ran without it.",)
    assert sorted(p.name for p in (shared_tmp / "copy").iterdir()) == ["echo_server.py", "ok.txt"]


def test_an_unreadable_lab_file_says_so(shared_tmp: Path) -> None:
    sub = folder(shared_tmp / "eve", {"echo_server.py": SOURCE})
    sub.chmod(0o755)
    (sub / "echo_server.py").chmod(0o000)
    message = take_in_unprivileged(sub, shared_tmp / "copy")
    assert isinstance(message, str) and message.endswith(
        "eve: echo_server.py cannot be read (Permission denied): fix its permissions")


def test_hidden_files_caches_and_fifos(tmp_path: Path) -> None:
    sub = folder(tmp_path / "fay", {"echo_server.py": SOURCE, ".git/config": b"x", "__pycache__/a.pyc": b"x"})
    os.mkfifo(sub / "pipe")
    result = intake.take_in(LAB, sub, tmp_path / "copy")
    assert copied(result) == {"echo_server.py": SOURCE}
    assert result.notes == ("pipe: left out, it is not a regular file.",)


# ------------------------------------------------------------------ symbolic links


def test_a_symlinked_lab_file_is_graded_as_its_target(tmp_path: Path) -> None:
    sub = folder(tmp_path / "gus", {"my_server.py": SOURCE, "lib/util.py": b"u = 1\n"})
    (sub / "echo_server.py").symlink_to("my_server.py")
    (sub / "util.py").symlink_to("lib/util.py")
    result = intake.take_in(LAB, sub, tmp_path / "copy")
    assert copied(result) == {"echo_server.py": SOURCE, "my_server.py": SOURCE, "lib/util.py": b"u = 1\n",
                              "util.py": b"u = 1\n"}
    assert result.notes == () and not any(p.is_symlink() for p in result.folder.rglob("*"))


def test_links_outside_to_folders_and_nowhere_are_refused_by_name(tmp_path: Path) -> None:
    sub = folder(tmp_path / "hal", {"echo_server.py": SOURCE, "lib/x.py": b""})
    (tmp_path / "outside.txt").write_text("not the student's")
    (sub / "passwd").symlink_to("/etc/passwd")
    (sub / "up.txt").symlink_to("../outside.txt")
    (sub / "libdir").symlink_to("lib")
    (sub / "gone.py").symlink_to("nothing_here.py")
    (sub / "loop").symlink_to("loop")
    result = intake.take_in(LAB, sub, tmp_path / "copy")
    assert sorted(copied(result)) == ["echo_server.py", "lib/x.py"]
    refused = "not followed, left out. Submit the file itself."
    assert result.notes == (
        f"gone.py: a symbolic link to nothing_here.py, which is nothing (a broken link): {refused}",
        f"libdir: a symbolic link to lib, which is a folder (links to folders are not followed): {refused}",
        f"loop: a symbolic link to loop, which is nothing (a broken link): {refused}",
        f"passwd: a symbolic link to /etc/passwd, which is outside the submission: {refused}",
        f"up.txt: a symbolic link to ../outside.txt, which is outside the submission: {refused}")


def test_a_lab_file_linking_outside_is_refused_naming_it(tmp_path: Path) -> None:
    sub = tmp_path / "ivy"
    sub.mkdir()
    (tmp_path / "elsewhere.py").write_bytes(SOURCE)
    (sub / "echo_server.py").symlink_to(tmp_path / "elsewhere.py")
    with pytest.raises(UsageError, match=r"ivy: echo_server.py: a symbolic link to .*elsewhere.py, which is "
                                         r"outside the submission: not followed"):
        intake.take_in(LAB, sub, tmp_path / "copy")


def test_the_roster_finds_a_nested_symlinked_lab_file(tmp_path: Path) -> None:
    src = folder(tmp_path / "class", {"jon/src/server_v2.py": SOURCE, "kim/echo_server.py": SOURCE})
    (src / "jon" / "src" / "echo_server.py").symlink_to("server_v2.py")
    found = roster.discover(LAB, src, tmp_path / "work")
    assert [s.student for s in found.submissions] == ["jon", "kim"]
    assert (found.submissions[0].folder / "echo_server.py").read_bytes() == SOURCE


# ------------------------------------------------------------------ nested archives share one cap


def test_nested_archives_are_capped_in_total(tmp_path: Path) -> None:
    # A class zip of three student zips of 1 MiB each (incompressible), with a cap of 5 MiB: every archive is
    # under the cap on its own, but the class zip (3 MiB) and the three inside it (3 MiB) are not.
    students = {f"s{i}.zip": zip_bytes({"echo_server.py": SOURCE, "data.bin": os.urandom(1 << 20)})
                for i in range(3)}
    (tmp_path / "class.zip").write_bytes(zip_bytes(students))
    caps = archive.Caps(max_bytes=5 << 20)
    found = roster.discover(LAB, tmp_path / "class.zip", tmp_path / "work", caps)
    extracted = sum(p.stat().st_size for p in (tmp_path / "work").rglob("*")
                    if p.is_file() and "clean" not in p.parts)  # the clean copies are intake's, capped apart
    assert 4 << 20 < extracted <= caps.max_bytes
    assert [s.student for s in found.submissions] == ["s0"]
    refused = {s.name: s.reason for s in found.skipped}
    assert sorted(refused) == ["s1", "s2"]
    assert refused["s1"] == ("their archive was refused: s1.zip: refused: with the 4 MiB extracted before it "
                             "(archives nested in archives count together), the total passes the cap of 5 MiB "
                             "(raise limits.archive_mb in grader.yml)")
    assert not (tmp_path / "work" / "students" / "s1" / "raw" / "s1").exists()


def test_an_archive_that_fails_half_way_is_removed_and_its_bytes_given_back(tmp_path: Path) -> None:
    z = tmp_path / "torn.zip"
    z.write_bytes(zip_bytes({"echo_server.py": SOURCE, "big.bin": b"\0" * 300_000}))
    data = bytearray(z.read_bytes())
    data[data.index(b"\0" * 1000) + 500] = 1  # big.bin's bytes no longer match its CRC: found while writing
    z.write_bytes(bytes(data))
    budget = archive.Budget(bytes=100, files=1)
    with pytest.raises(UsageError, match=r"torn.zip: not a readable zip archive \(Bad CRC-32 for file 'big.bin'\)"):
        archive.extract(z, tmp_path / "out", archive.Caps(), budget)
    assert not (tmp_path / "out").exists() and budget == archive.Budget(bytes=100, files=1)


# ------------------------------------------------------------------ one folder per student


def test_names_that_differ_by_punctuation_or_case_get_their_own_folders() -> None:
    names = ["bob", "bob.", "bob_", "Bob", "x?", "x!", "x_", "x", ".", "..", "", "a/b", "a\\b", "Zoë", "Zoë",
             "Alice Smith_12345", "alice smith_12345", "x" * 300, "x" * 301]
    slugs = [student_slug(n) for n in names]
    assert len({s.casefold() for s in slugs}) == len(set(names))  # case-insensitive file systems too
    for slug in slugs:
        assert slug and "/" not in slug and "\\" not in slug and not slug.startswith(".")
        assert slug not in (".", "..") and len(slug.encode()) <= 255
    assert student_slug("student042") == "student042" and student_slug("smith.alice-2") == "smith.alice-2"
    assert student_slug("bob.") == "bob~" + __import__("hashlib").sha256(b"bob.").hexdigest()[:16]


def test_the_roster_stages_lookalike_names_apart(tmp_path: Path) -> None:
    src = folder(tmp_path / "class", {"x?/echo_server.py": b"print('q')\n", "x!/echo_server.py": b"print('e')\n"})
    found = roster.discover(LAB, src, tmp_path / "work")
    got = {s.student: (s.folder / "echo_server.py").read_bytes() for s in found.submissions}
    assert got == {"x?": b"print('q')\n", "x!": b"print('e')\n"}


# ------------------------------------------------------------------ scratch folders of killed runs


def _hold_scratch_then_wait(base: str, ready: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    tempfile.tempdir = base
    with owned_scratch("grader-batch-") as work:
        (work / "extracted").mkdir()
        ready.put(str(work))
        signal.pause()


def test_only_the_scratch_of_a_dead_run_is_swept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    ctx = multiprocessing.get_context("fork")
    ready = ctx.Queue()
    killed = ctx.Process(target=_hold_scratch_then_wait, args=(str(tmp_path), ready))
    alive = ctx.Process(target=_hold_scratch_then_wait, args=(str(tmp_path), ready))
    killed.start()
    alive.start()
    first, second = Path(ready.get(timeout=30)), Path(ready.get(timeout=30))
    dead, live = (first, second) if f"{killed.pid}" in (first / ".owner").read_text() else (second, first)
    os.kill(killed.pid, signal.SIGKILL)
    killed.join(30)
    legacy = tmp_path / "grader-batch-legacy"  # an older grader's folder: no lock, maybe still in use
    legacy.mkdir()
    try:
        with owned_scratch("grader-batch-") as mine:
            assert sweep_abandoned() == [dead]
            assert live.is_dir() and mine.is_dir() and legacy.is_dir() and not dead.exists()
        assert not mine.exists()
    finally:
        alive.kill()
        alive.join(30)
    assert sweep_abandoned() == [live]


def test_the_report_ignores_an_older_graders_folder_for_the_same_student(tmp_path: Path) -> None:
    from grader.batch import results_document, student_dir
    from grader.reports.html import read_students
    from grader.results import CheckResult, Report

    report = Report(lab="tcp_echo", tests=(CheckResult(name="echo_short", score=2, max_score=2, outcome="passed"),))
    record = {"student": "Alice Smith_12345", "submission_sha256": "s", "checks_sha256": "c", "grader_version": "v"}
    for folder in (tmp_path / "Alice Smith_12345", student_dir(tmp_path, "Alice Smith_12345")):  # old, new
        folder.mkdir()
        (folder / "results.json").write_bytes(results_document(report, record))
    assert [s.name for s in read_students(tmp_path, None)] == ["Alice Smith_12345"]


def test_a_scratch_folder_with_read_only_folders_inside_is_removed(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "kept").write_text("not ours")
    with owned_scratch("grader-local-") as work:
        site = work / "scratch" / "student-site"
        (site / "pkg").mkdir(parents=True)
        (site / "pkg" / "mod.py").write_text("x = 1\n")
        (site / "link").symlink_to(outside)  # removed as a link, never followed
        for folder in (site / "pkg", site):
            folder.chmod(0o555)
    assert not work.exists()
    assert (outside / "kept").read_text() == "not ours" and oct(outside.stat().st_mode & 0o777) != "0o700"
