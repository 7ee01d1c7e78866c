"""`grader export gradescope`: what goes in the zip, and the results.json it leaves in every case."""

from __future__ import annotations

import json
import stat
import zipfile
from pathlib import Path

from grader.config import LabConfig
from grader.export import GRADESCOPE_KEYS, export_gradescope, gradescope_results, main
from grader.labs import get_lab


def test_zip_layout(tmp_path: Path) -> None:
    lab = get_lab("tcp_echo")
    out = tmp_path / "autograder.zip"
    export_gradescope(lab, out, LabConfig(points={"echo_large": 4.0}, hidden=("survives_reset",)))
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
        course = z.read("grader.yml").decode()
        run = z.read("run_autograder").decode()
    assert {"setup.sh", "run_autograder", "requirements.txt", "grader.yml"} <= names
    assert modes["setup.sh"] & stat.S_IXUSR and modes["run_autograder"] & stat.S_IXUSR
    assert "grader-src/grader/cli.py" in names and "grader-src/harness/runner.py" in names
    assert "grader-src/assignments/tcp_echo/checks.py" in names
    assert not any("/variants/" in n or n.startswith("grader-src/reference") or "__pycache__" in n
                   or "/_data/" in n for n in names), "no variants, references or caches"
    assert not any(n.startswith("grader-src/assignments/") and "/tcp_echo/" not in n for n in names)
    assert "survives_reset" in course and "echo_large: 4.0" in course
    assert "check tcp_echo /autograder/submission --json --backend local --include-hidden" in run


def test_zip_is_reproducible(tmp_path: Path) -> None:
    lab = get_lab("tcp_echo")
    export_gradescope(lab, tmp_path / "a.zip")
    export_gradescope(lab, tmp_path / "b.zip")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    assert "grader.yml" not in zipfile.ZipFile(tmp_path / "a.zip").namelist()


def test_results_pass_through_with_gradescope_keys_only() -> None:
    doc = {"schema_version": 1, "lab": "x", "score": 2.0, "max_score": 4.0, "output": "", "execution_time": 1,  # v1
           "tests": [{"name": "a", "score": 2, "max_score": 2, "status": "passed", "output": "",
                      "visibility": "visible"}], "extra_data": {"isolated": False}}
    out = gradescope_results(json.dumps(doc), "", 1)
    assert set(out) <= set(GRADESCOPE_KEYS) and out["tests"] == doc["tests"] and out["score"] == 2.0
    assert out["extra_data"] == {"isolated": False, "schema_version": 1, "lab": "x", "max_score": 4.0}


def test_grader_trouble_is_said_at_the_top() -> None:
    doc = {"score": 0, "tests": [], "output": "warning"}
    out = gradescope_results(json.dumps(doc), "", 3)
    assert out["output"].startswith("The autograder ran into trouble of its own") and out["output"].endswith("warning")


def test_no_document_still_gives_valid_results() -> None:
    missing = gradescope_results("", "error: /autograder/submission: no echo_server.py in it\n", 2)
    assert missing["score"] == 0 and missing["tests"] == []
    assert "could not be graded" in missing["output"] and "no echo_server.py" in missing["output"]
    crashed = gradescope_results("{not json", "", 139)
    assert "its own trouble" in crashed["output"] and "status 139" in crashed["output"]


def test_finish_command(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("")
    (tmp_path / "err").write_text("error: no such file\n")
    assert main(["finish", "--exit-code", "2", "--stdout", str(tmp_path / "out"), "--stderr",
                 str(tmp_path / "err"), "--out", str(tmp_path / "results.json")]) == 0
    doc = json.loads((tmp_path / "results.json").read_text())
    assert doc["tests"] == [] and "no such file" in doc["output"]


def test_cli(tmp_path: Path, grader_cli, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # no grader.yml here: the lab's own points and visibility
    code, out, err = grader_cli("export", "gradescope", "tcp_echo", "-o", tmp_path / "ag.zip")
    assert code == 0 and out.strip() == str(tmp_path / "ag.zip") and "tcp_echo with grader" in err
    code, _, err = grader_cli("export", "gradescope", "tcp_ecko")
    assert code == 2 and "did you mean 'tcp_echo'" in err
