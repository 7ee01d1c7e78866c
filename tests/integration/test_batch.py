"""`grader grade` end to end in the local sandbox: a class of 100, resume after SIGKILL, bad inputs."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from bench.classes import tcp_echo_source as source
from bench.classes import write_class as make_class
from grader import batch_cli
from grader.batch import load_result
from grader.cli import main
from grader.scratch import PREFIXES

REPO = Path(__file__).resolve().parents[2]
LAB = REPO / "assignments" / "tcp_echo"
EXAMPLES = REPO / "examples" / "tcp_echo"
FAST_BAD = ("syntax_error", "crashes_on_reset", "decodes_text")
ALL_VARIANTS = (*FAST_BAD, "single_recv", "waits_for_newline", "spins_on_eof", "loses_tail_at_eof")

pytestmark = pytest.mark.slow


def grade(*args: str | Path, cwd: Path, extra_env: dict[str, str] | None = None, **kw: object) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), **(extra_env or {})}
    return subprocess.Popen([sys.executable, "-m", "grader", "grade", *map(str, args)], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)  # type: ignore[call-overload]


def finish(proc: subprocess.Popen[str], timeout: float = 900) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def errors(out: Path) -> str:
    """What every `error` outcome under `out` said (to explain a failed assertion)."""
    said = []
    for path in sorted(out.glob("*/results.json")):
        loaded = load_result(path, "tcp_echo")
        if loaded is not None:
            said += [f"{path.parent.name}/{t.name}: {t.output}" for t in loaded[0].tests if t.outcome == "error"]
    return "\n".join(said)


def outcomes(out: Path) -> dict[str, tuple[float, dict[str, str]]]:
    found = {}
    for path in sorted(out.glob("*/results.json")):
        loaded = load_result(path, "tcp_echo")
        assert loaded is not None, f"{path} is not a complete results document"
        found[path.parent.name] = (loaded[0].score, loaded[0].outcomes())
    return found


def csv_rows(out: Path) -> list[dict[str, str]]:
    with open(out / "grades.csv", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.timeout(1800)
def test_a_class_of_100_from_a_folder_then_from_a_zip(tmp_path: Path) -> None:
    kinds = ["reference"] * 64 + [v for v in ALL_VARIANTS for _ in range(3)] + ["never_accepts"] * 3 + \
        [f"example:{d.name}" for d in sorted(EXAMPLES.iterdir()) for _ in range(2)]
    kinds = [kinds[(i * 37) % len(kinds)] for i in range(len(kinds))]  # mixed, deterministically
    assert len(kinds) == 100 and len(set(kinds)) == 1 + 7 + 1 + 6
    students = make_class(tmp_path / "class", kinds)
    out = tmp_path / "out"

    started = time.monotonic()
    code, stdout, stderr = finish(grade("tcp_echo", tmp_path / "class", "--out", out, "--backend", "local",
                                        cwd=tmp_path))
    print(f"100 submissions, default jobs: {time.monotonic() - started:.1f} s", file=sys.stderr)
    assert code == 0, stderr[-3000:]
    assert "[100/100]" in stderr and "100 of 100 students graded" in stdout

    results = outcomes(out)
    assert set(results) == set(students)
    for name, kind in students.items():
        score, checks = results[name]
        assert (out / name / "feedback.txt").read_text().startswith(f"tcp_echo: feedback for {name}")
        if kind == "reference":
            assert score == 20 and set(checks.values()) == {"passed"}, (name, checks)
        elif kind == "never_accepts":
            assert score == 0 and checks["echo_short"] == "timeout", (name, checks)
        elif kind in ALL_VARIANTS:
            assert score < 20 and checks[_declared(kind)] != "passed", (name, checks)
    rows = csv_rows(out)
    assert len(rows) == 100 and {r["student"] for r in rows} == set(students)
    assert all(r["score"] != "" and r["status"] == "graded" for r in rows)
    assert sum(r["score"] == "20" for r in rows) == 64 + 3 * 2  # references and the three correct examples
    suites = ET.parse(out / "junit.xml").getroot().findall("testsuite")
    assert len(suites) == 100
    summary = json.loads((out / "summary.json").read_text())
    assert summary["graded"] == 100 and summary["errors"] == [] and summary["checks"]["echo_short"]["total"] == 100

    # The same class as an LMS zip (nested in an export folder): same students, nothing to grade again.
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted((tmp_path / "class").rglob("*.py")):
            zf.write(path, "lab1-export/" + path.relative_to(tmp_path / "class").as_posix())
    before = (out / "grades.csv").read_bytes()
    code, stdout, stderr = finish(grade("tcp_echo", archive, "--out", out, "--backend", "local", cwd=tmp_path))
    assert code == 0, stderr
    assert "0 to grade (100 already graded)" in stderr
    assert (out / "grades.csv").read_bytes() == before


def _declared(variant: str) -> str:
    import yaml

    return str(yaml.safe_load((LAB / "assignment.yml").read_text())["variants"][variant]["fails"])


@pytest.mark.timeout(900)
def test_sigkill_at_any_point_then_rerun_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    make_class(tmp_path / "class", ["reference"] * 5 + list(FAST_BAD))
    common = ("tcp_echo", tmp_path / "class", "--backend", "local", "--jobs", "2")
    code, _, err = finish(grade(*common, "--out", tmp_path / "clean", cwd=tmp_path))
    assert code == 0, err + errors(tmp_path / "clean")
    expected = outcomes(tmp_path / "clean")
    assert len(expected) == 8

    out = tmp_path / "killed"
    for results_before_kill in (0, 3, 6):
        proc = grade(*common, "--out", out, cwd=tmp_path)
        deadline = time.monotonic() + 120
        while len(list(out.glob("*/results.json"))) < results_before_kill and proc.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        if results_before_kill == 0:
            time.sleep(1.5)  # mid-way through the first sandboxes
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        for path in out.glob("*/results.json"):  # never a half-written result
            assert load_result(path, "tcp_echo") is not None
    code, _, err = finish(grade(*common, "--out", out, cwd=tmp_path))
    assert code == 0, err
    assert outcomes(out) == expected
    assert (out / "grades.csv").read_bytes() == (tmp_path / "clean" / "grades.csv").read_bytes()
    assert not list(out.rglob("*.tmp"))
    code, _, err = finish(grade(*common, "--out", out, cwd=tmp_path))
    assert "0 to grade (8 already graded)" in err


def run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["grade", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no ./grader.yml from the repository
    return tmp_path


def test_unsafe_archives_are_refused(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    slip = in_tmp / "slip.zip"
    with zipfile.ZipFile(slip, "w") as zf:
        zf.writestr("alice/echo_server.py", source("reference", 0))
        zf.writestr("../../outside.py", b"print('escaped')")
    code, _, err = run_main(["tcp_echo", str(slip), "--out", "out", "--backend", "local"], capsys)
    assert code == 2 and "zip-slip" in err and "refused" in err
    assert not list(in_tmp.rglob("outside.py")) and not (in_tmp / "out" / "alice").exists()

    link = in_tmp / "link.zip"
    with zipfile.ZipFile(link, "w") as zf:
        info = zipfile.ZipInfo("bob/echo_server.py")
        info.external_attr = 0o120777 << 16
        zf.writestr(info, "/etc/shadow")
    code, _, err = run_main(["tcp_echo", str(link), "--out", "out", "--backend", "local"], capsys)
    assert code == 2 and "is a symbolic link" in err


def test_empty_folder(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "class").mkdir()
    code, _, err = run_main(["tcp_echo", "class", "--out", "out", "--backend", "local"], capsys)
    assert code == 2 and "no submissions in it (it is empty)" in err


def test_malformed_config_stops_before_anything(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_class(in_tmp / "class", ["reference"])
    (in_tmp / "grader.yml").write_text("labs:\n  tcp_echo:\n    points: {echo_large: ten}\n")
    code, _, err = run_main(["tcp_echo", "class", "--out", "out", "--backend", "local"], capsys)
    assert code == 2
    assert "grader.yml: labs.tcp_echo.points.echo_large: expected a number, got 'ten'" in err
    assert not (in_tmp / "out").exists()


def test_output_folder_not_writable(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_class(in_tmp / "class", ["reference"])
    (in_tmp / "file").write_text("a regular file, so nothing can be created below it (even as root)")
    code, _, err = run_main(["tcp_echo", "class", "--out", "file/sub", "--backend", "local"], capsys)
    assert code == 2 and err == ("error: cannot write file/sub: Not a directory; a part of that path is a file, "
                                 "not a folder: choose another folder with --out\n")


def test_docker_unavailable_names_the_fix(in_tmp: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    make_class(in_tmp / "class", ["reference"])
    monkeypatch.setattr(batch_cli, "_docker_problem", lambda: "Docker is not running")
    code, _, err = run_main(["tcp_echo", "class", "--out", "out"], capsys)
    assert code == 2 and "Docker is not running" in err and "--backend local" in err
    assert not (in_tmp / "out" / "student000").exists()


def test_missing_file_is_listed_and_errors_are_retried(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_class(in_tmp / "class", ["reference", "syntax_error"])
    (in_tmp / "class" / "zoe").mkdir()
    (in_tmp / "class" / "zoe" / "echoserver.py").write_bytes(source("reference", 9))
    # An impossible deadline: every run is a sandbox failure, which is an error, never a zero. 0.05 s, because
    # the runner's interpreter and pytest import alone take longer; at 0.5 s a syntax error (its other checks
    # ended at once by fail-fast) was sometimes graded 0 in time, and CI failed on it.
    (in_tmp / "tight.yml").write_text("backend: local\nlimits: {deadline: 0.05}\n")
    code, out, err = run_main(["tcp_echo", "class", "--out", "out", "--config", "tight.yml", "--jobs", "2"], capsys)
    assert code == 3, err
    assert "GRADER OR SANDBOX TROUBLE (2)" in out
    rows = {r["student"]: r for r in csv_rows(in_tmp / "out")}
    assert rows["student000"]["score"] == "" and rows["student000"]["status"].startswith("error")
    assert rows["zoe"]["score"] == "" and "found echoserver.py: rename it to echo_server.py" in rows["zoe"]["status"]
    assert "skipped zoe" in err

    code, out, err = run_main(["tcp_echo", "class", "--out", "out", "--backend", "local", "--jobs", "2"], capsys)
    assert code == 0, err
    assert "2 to grade (0 already graded)" in err
    rows = {r["student"]: r for r in csv_rows(in_tmp / "out")}
    assert rows["student000"]["score"] == "20" and rows["student001"]["score"] == "0"
    assert rows["zoe"]["score"] == ""

    code, out, err = run_main(["tcp_echo", "class", "--out", "out", "--backend", "local", "--only", "student001"],
                              capsys)
    assert code == 0 and "1 to grade (1 already graded)" in err
    code, out, err = run_main(["tcp_echo", "class", "--out", "out", "--backend", "local", "--only", "studnet001"],
                              capsys)
    assert code == 2 and "did you mean 'student001'" in err


def test_no_arguments_grades_the_bundled_examples(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["--backend", "local"], capsys)
    assert code == 0, err
    rows = {r["student"]: r for r in csv_rows(in_tmp / "grader-results")}
    assert len(rows) == 6 and sum(r["score"] == r["max_score"] for r in rows.values()) == 3
    assert "6 of 6 students graded" in out


# ------------------------------------------------------------------ intake and outputs (issue 13)


def feedback(out: Path, student: str) -> str:
    folders = [p.parent for p in out.glob("*/results.json") if load_result(p, "tcp_echo") is not None
               and json.loads(p.read_text())["extra_data"]["batch"]["student"] == student]
    assert len(folders) == 1, (student, folders)
    return " ".join((folders[0] / "feedback.txt").read_text().split())  # unwrapped: feedback.txt wraps at 100


def test_big_extras_and_links_never_cost_the_lab_file(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cls = in_tmp / "class"
    for name in ("alice", "bob", "carol"):
        (cls / name).mkdir(parents=True)
    (cls / "alice" / "echo_server.py").write_bytes(source("reference", 1))
    with open(cls / "alice" / "a_dump.bin", "wb") as f:  # 200 MB, sorting before echo_server.py
        f.truncate(200 << 20)
    (cls / "bob" / "my_server.py").write_bytes(source("reference", 2))
    (cls / "bob" / "echo_server.py").symlink_to("my_server.py")
    (cls / "carol" / "echo_server.py").write_bytes(source("reference", 3))
    (cls / "carol" / "keys").symlink_to(Path.home())
    code, _, err = run_main(["tcp_echo", "class", "--out", "out", "--backend", "local", "--jobs", "2"], capsys)
    assert code == 0, err
    rows = {r["student"]: r for r in csv_rows(in_tmp / "out")}
    assert {n: r["score"] for n, r in rows.items()} == {"alice": "20", "bob": "20", "carol": "20"}
    assert ("warning: a_dump.bin: left out, it is 200.0 MiB and a submission may hold 32.0 MiB in all "
            "(echo_server.py first, then the smaller files). The checks ran without it.") in feedback(in_tmp / "out", "alice")
    assert "warning" not in feedback(in_tmp / "out", "bob")
    assert (f"warning: keys: a symbolic link to {Path.home()}, which is outside the submission: not followed, "
            "left out. Submit the file itself.") in feedback(in_tmp / "out", "carol")


def test_names_that_differ_by_punctuation_keep_their_own_results(in_tmp: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    kinds = {"bob": "reference", "bob.": "syntax_error", "x?": "reference", "x!": "decodes_text"}
    for n, (name, kind) in enumerate(kinds.items()):
        (in_tmp / "class" / name).mkdir(parents=True)
        (in_tmp / "class" / name / "echo_server.py").write_bytes(source(kind, n))
    argv = ["tcp_echo", "class", "--out", "out", "--backend", "local", "--jobs", "2"]
    code, _, err = run_main(argv, capsys)
    assert code == 0, err
    folders = sorted(p.name for p in (in_tmp / "out").iterdir() if p.is_dir())
    assert len(folders) == 4 and "bob" in folders, folders
    for path in (in_tmp / "out").glob("*/results.json"):
        assert sorted(p.name for p in path.parent.iterdir()) == ["feedback.txt", "results.json"]
    scores = {r["student"]: r["score"] for r in csv_rows(in_tmp / "out")}
    assert scores["bob"] == "20" and scores["bob."] == "0" and scores["x?"] == "20" and scores["x!"] not in ("", "20")
    assert "feedback for bob. " in feedback(in_tmp / "out", "bob.")
    code, _, err = run_main(argv, capsys)
    assert code == 0 and "0 to grade (4 already graded)" in err


def test_nested_archives_share_the_cap(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from archives import zip_bytes as zipped

    inner = {f"s{i}.zip": zipped({"echo_server.py": source("reference", i), "data.bin": os.urandom(1 << 20)})
             for i in range(3)}
    (in_tmp / "class.zip").write_bytes(zipped(inner))
    (in_tmp / "grader.yml").write_text("backend: local\nlimits: {archive_mb: 5}\n")
    code, _, err = run_main(["tcp_echo", "class.zip", "--out", "out"], capsys)
    assert code == 0, err
    rows = {r["student"]: r for r in csv_rows(in_tmp / "out")}
    assert rows["s0"]["score"] == "20"
    for late in ("s1", "s2"):
        assert rows[late]["score"] == "" and rows[late]["status"] == (
            f"not graded: their archive was refused: {late}.zip: refused: with the 4 MiB extracted before it "
            "(archives nested in archives count together), the total passes the cap of 5 MiB (raise "
            "limits.archive_mb in grader.yml)")


def scratch_folders(tmp: Path) -> list[Path]:
    return sorted(tmp.glob("grader-batch-*"))


def every_scratch(tmp: Path) -> list[Path]:
    return sorted(p for p in tmp.iterdir() if p.name.lstrip(".").startswith(PREFIXES))


@pytest.mark.timeout(600)
def test_a_killed_runs_scratch_is_swept_but_never_a_running_ones(tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {"TMPDIR": str(tmp)}
    make_class(tmp_path / "class", ["reference"] * 4)
    make_class(tmp_path / "small", ["reference"])

    def started(proc: subprocess.Popen[str], count: int) -> None:
        deadline = time.monotonic() + 120
        while not [p for p in scratch_folders(tmp) if (p / "students").is_dir()][count - 1:]:
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)  # poll

    running = grade("tcp_echo", tmp_path / "class", "--out", tmp_path / "r", "--backend", "local", "--jobs", "1",
                    cwd=tmp_path, extra_env=env)
    try:
        started(running, 1)
        running.send_signal(signal.SIGSTOP)  # a batch still going (stopped, so it is still going whatever the load)
        [mine] = scratch_folders(tmp)
        frozen = every_scratch(tmp)  # the stopped batch's folders: the batch's, and the local run's it was in
        killed = grade("tcp_echo", tmp_path / "class", "--out", tmp_path / "k", "--backend", "local", "--jobs", "1",
                       cwd=tmp_path, extra_env=env)
        started(killed, 2)
        killed.send_signal(signal.SIGKILL)
        killed.communicate()
        [left] = [p for p in scratch_folders(tmp) if p != mine]
        killed_left = [p for p in every_scratch(tmp) if p not in frozen]
        assert (left / "students").is_dir()  # the whole extracted class, as the issue says

        code, _, err = finish(grade("tcp_echo", tmp_path / "small", "--out", tmp_path / "s", "--backend", "local",
                                    cwd=tmp_path, extra_env=env))
        assert code == 0, err
        # The killed batch left its own folder, and the local run's it was in if it was killed mid-run.
        assert f"note: removed {len(killed_left)} scratch folder(s) a killed run left in {tmp}" in err
        assert not any(p.exists() for p in killed_left) and all(p.is_dir() for p in frozen)
    except BaseException:
        running.kill()  # a stopped batch left to the garbage collector fails a later test with its ResourceWarning
        running.communicate()
        raise
    running.send_signal(signal.SIGCONT)
    code, _, err = finish(running)
    assert code == 0, err
    assert scratch_folders(tmp) == []


@pytest.mark.timeout(600)
def test_disk_full_mid_run_exits_2_keeps_every_result_and_resumes(tmp_path: Path) -> None:
    from small_disk import SmallDisk

    make_class(tmp_path / "class", ["reference", "syntax_error"])
    disk = SmallDisk(tmp_path / "out", size_kib=2048)
    try:
        args = ("grade", "tcp_echo", tmp_path / "class", "--out", disk.where, "--backend", "local", "--jobs", "1")
        first = disk.grader(*args, cwd=tmp_path)
        assert first.returncode == 0, first.stderr
        seen = disk.seen(disk.where)
        before = {p.relative_to(seen): p.read_bytes() for p in seen.rglob("*") if p.is_file()}
        make_class(tmp_path / "more", ["reference"])
        (tmp_path / "more" / "student000").rename(tmp_path / "class" / "student002")
        disk.fill()
        full = disk.grader(*args, cwd=tmp_path)
        assert full.returncode == 2, full.stderr
        assert "Traceback" not in full.stderr and "internal error" not in full.stderr
        assert full.stderr.splitlines()[-2:] == [
            (f"error: cannot write {disk.where}/student002/results.json: No space left on device; the disk is full: "
             "free some space there, or choose another folder with --out; then run the command again"),
            (f"Every result written to {disk.where} before this is kept: run the same command again once that is "
             "fixed, and it goes on with the students not graded yet.")]
        after = {p.relative_to(seen): p.read_bytes() for p in seen.rglob("*") if p.is_file() and p.name != ".filler"}
        assert after == before  # nothing lost, nothing half-written, no .tmp
        disk.free()
        again = disk.grader(*args, cwd=tmp_path)
        assert again.returncode == 0 and "1 to grade (2 already graded)" in again.stderr, again.stderr
        assert not list(seen.rglob("*.tmp"))
    finally:
        disk.close()


def test_read_only_output_folder_exits_2_and_keeps_the_results(tmp_path: Path) -> None:
    from small_disk import SmallDisk

    make_class(tmp_path / "class", ["reference"])
    disk = SmallDisk(tmp_path / "out", size_kib=2048)
    try:
        args = ("grade", "tcp_echo", tmp_path / "class", "--out", disk.where, "--backend", "local")
        assert disk.grader(*args, cwd=tmp_path).returncode == 0
        grades = disk.seen(disk.where / "grades.csv").read_bytes()
        disk.read_only()
        done = disk.grader(*args, "--force", cwd=tmp_path)
        assert done.returncode == 2 and done.stderr.strip() == (
            f"error: cannot write {disk.where}: Read-only file system; that file system is read-only: choose "
            "another folder with --out")
        assert disk.seen(disk.where / "grades.csv").read_bytes() == grades
    finally:
        disk.close()


def test_the_fallback_grades_one_at_a_time_so_servers_never_share_a_port(tmp_path: Path) -> None:
    # Without namespaces every server binds the machine's own port 9000: two at once collided, and
    # `GRADER_ISOLATE=no grader selftest forking_echo tcp_echo` failed 16 of 29 with the default jobs.
    make_class(tmp_path / "class", ["reference"] * 3)
    env = {**os.environ, "PYTHONPATH": str(REPO), "GRADER_ISOLATE": "no"}
    argv = [sys.executable, str(REPO / "tests" / "own_network.py"), "grader", "grade", "tcp_echo",
            str(tmp_path / "class"), "--out", str(tmp_path / "out"), "--backend", "local", "--jobs", "3"]
    done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False)
    code, err = done.returncode, done.stderr
    assert code == 0, err
    assert "note: one run at a time, not 3: the local sandbox has no network of its own (GRADER_ISOLATE=no)" in err
    assert "1 local sandbox(es) in parallel" in err
    assert {score for score, _ in outcomes(tmp_path / "out").values()} == {20.0}
