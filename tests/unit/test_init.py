"""`grader init`: a course repository whose grader.yml validates and whose CI runs the selftest."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from grader import __version__
from grader.config import load_config
from grader.errors import UsageError
from grader.init_course import JUNIT, WORKFLOW, init_course
from grader.labs import all_labs


PINNED = f"socklab-grader=={__version__}"


def test_scaffold(tmp_path: Path) -> None:
    written = init_course(tmp_path, ["tcp_echo", "tcp_echo_client"], install=PINNED)  # vendoring: test_init_install
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == sorted(
        ["grader.yml", WORKFLOW, "requirements-grader.txt", "README.md"])
    config = load_config(tmp_path / "grader.yml", all_labs())  # the batch grader's own validation
    assert config.offered == ("tcp_echo", "tcp_echo_client")
    assert config.backend == "docker" and config.output == tmp_path / "grader-results"

    workflow = yaml.safe_load((tmp_path / WORKFLOW).read_text())
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on:` as True
    assert "push" in triggers
    steps = workflow["jobs"]["selftest"]["steps"]
    runs = [s.get("run", "") for s in steps]
    assert "grader selftest tcp_echo tcp_echo_client --junit " + JUNIT in runs
    assert any("pip install -r requirements-grader.txt" in r for r in runs)
    published = [s for s in steps if "junit" in s.get("uses", "")]
    assert published and published[0]["with"]["report_paths"] == JUNIT and published[0]["if"] == "always()"

    readme = (tmp_path / "README.md").read_text()
    assert "grader check LAB" in readme and "`tcp_echo`" in readme and "--explain" in readme
    assert "socklab-grader==" in (tmp_path / "requirements-grader.txt").read_text()


def test_default_is_every_lab(tmp_path: Path) -> None:
    init_course(tmp_path, install=PINNED)
    assert load_config(tmp_path / "grader.yml", all_labs()).offered == tuple(all_labs())


def test_existing_files_are_kept(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# my course\n")
    written = init_course(tmp_path, ["tcp_echo"], install="socklab-grader @ git+https://example.org/g@v1")
    assert (tmp_path / "README.md").read_text() == "# my course\n"
    assert tmp_path / "README-grader.md" in written
    assert "git+https://example.org/g@v1" in (tmp_path / "requirements-grader.txt").read_text()
    (tmp_path / "grader.yml").write_text("labs: {}\n")
    with pytest.raises(UsageError, match="--force"):
        init_course(tmp_path, ["tcp_echo"])
    assert (tmp_path / "grader.yml").read_text() == "labs: {}\n"
    init_course(tmp_path, ["tcp_echo_client"], install=PINNED, force=True)
    assert load_config(tmp_path / "grader.yml", all_labs()).offered == ("tcp_echo_client",)


def test_unknown_lab_suggests_the_closest(tmp_path: Path, grader_cli) -> None:
    code, out, err = grader_cli("init", tmp_path, "--labs", "tcp_echo,tcp_ecko")
    assert code == 2 and "(did you mean 'tcp_echo'?)" in err and out == ""
    assert not (tmp_path / "grader.yml").exists()
    code, out, err = grader_cli("init", tmp_path / "course", "--labs", "tcp_echo", "--install", PINNED)
    assert code == 0 and out.count("wrote ") == 4
