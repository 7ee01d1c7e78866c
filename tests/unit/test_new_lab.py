"""`grader new-lab`: the scaffold is a valid lab (loads, compiles, declares its variant), never in the repo."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from grader.errors import UsageError
from grader.labs import all_labs, get_lab, load_lab
from grader.new_lab import new_lab
from grader.paths import LABS_ENV


@pytest.fixture(autouse=True)
def _no_labs_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LABS_ENV, raising=False)


@pytest.mark.parametrize("kind, file, check, variant", [
    ("server", "server.py", "greets_each_line", "one_line_per_connection"),
    ("client", "client.py", "prints_greeting", "prints_bytes"),
])
def test_scaffold_is_a_valid_lab(tmp_path: Path, kind: str, file: str, check: str, variant: str) -> None:
    made = new_lab("my_lab", kind=kind, port=9123, root=tmp_path)
    lab = load_lab(tmp_path / "assignments" / "my_lab", tmp_path)
    assert (lab.name, lab.kind, lab.file, lab.port) == ("my_lab", kind, file, 9123)
    assert lab.check_names() == ["compiles", check]
    assert [(v.name, v.fails) for v in lab.variants] == [(variant, check)]
    assert (lab.reference / file).is_file() and (lab.variants[0].path / file).is_file()
    for path in made.files:
        assert path.is_relative_to(tmp_path)
        if path.suffix == ".py":
            ast.parse(path.read_text(), str(path))  # compiles
            assert "9123" in path.read_text() or path.name == "checks.py" and "lab.port" in path.read_text()
    handout = (lab.directory / "README.md").read_text()
    assert f"`{file}`" in handout and check in handout and "9123" in handout
    assert f"SOCKLAB_LABS={tmp_path}" in made.next_step or "SOCKLAB_LABS=" in made.next_step


def test_file_and_title_options(tmp_path: Path) -> None:
    new_lab("udp_thing", kind="server", file="thing_server.py", title="A thing", root=tmp_path)
    lab = load_lab(tmp_path / "assignments" / "udp_thing", tmp_path)
    assert (lab.file, lab.title) == ("thing_server.py", "A thing")
    assert (tmp_path / "reference" / "udp_thing" / "thing_server.py").is_file()


def test_labs_env_adds_the_new_lab_to_the_bundled_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundled = set(all_labs())
    new_lab("brand_new", kind="client", root=tmp_path)
    assert "brand_new" not in all_labs()
    monkeypatch.setenv(LABS_ENV, str(tmp_path))
    assert set(all_labs()) == bundled | {"brand_new"}
    assert get_lab("brand_new").reference == tmp_path.resolve() / "reference" / "brand_new"


def test_root_defaults_to_the_labs_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LABS_ENV, str(tmp_path))
    made = new_lab("from_env", kind="server")
    assert all(p.is_relative_to(tmp_path.resolve()) for p in made.files)
    assert made.next_step.startswith("grader selftest from_env")


@pytest.mark.parametrize("name, options, message", [
    ("Bad-Name", {}, "lower case letters"),
    ("tcp_echo", {}, "exists already"),
    ("ok_name", {"port": 0}, "port number"),
    ("ok_name", {"file": "server"}, "Python file name"),
])
def test_bad_input(tmp_path: Path, name: str, options: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        new_lab(name, kind="server", root=tmp_path, **options)


def test_existing_folder_is_never_overwritten(tmp_path: Path) -> None:
    new_lab("twice", kind="server", root=tmp_path)
    checks = tmp_path / "assignments" / "twice" / "checks.py"
    checks.write_text("# edited\n")
    with pytest.raises(UsageError, match="exists already"):
        new_lab("twice", kind="client", root=tmp_path)
    assert checks.read_text() == "# edited\n"


def test_cli(tmp_path: Path, grader_cli) -> None:
    code, out, err = grader_cli("new-lab", "cli_lab", "--kind", "client", "--port", "7000", "--root", tmp_path)
    assert code == 0 and out.count("wrote ") == 5 and "grader selftest cli_lab" in err
    code, _, err = grader_cli("new-lab", "cli_lab", "--kind", "client", "--root", tmp_path)
    assert code == 2 and err.startswith("error: ") and "exists already" in err
