"""Every lab is complete: handout, reference, checks, and variants that declare real checks."""

import ast

import pytest

from grader.labs import all_labs

LABS = list(all_labs().values())


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.name)
def test_lab_is_complete(lab):
    assert lab.handout.is_file(), f"{lab.name} has no README.md handout"
    assert (lab.reference / lab.file).is_file(), f"{lab.name} has no reference {lab.file}"
    checks = ast.parse((lab.directory / "checks.py").read_text())
    names = {f.name.removeprefix("test_") for f in checks.body
             if isinstance(f, ast.FunctionDef) and f.name.startswith("test_")} | {"compiles"}
    assert len(lab.bad_variants) >= 4, f"{lab.name} needs at least four known-bad variants"
    for v in lab.variants:
        assert (v.path / lab.file).is_file(), f"variant {v.name} has no {lab.file}"
        assert v.good or v.fails in names, f"variant {v.name} declares unknown check {v.fails}"
    handout = lab.handout.read_text()
    assert lab.file in handout


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.name)
def test_every_check_has_points(lab):
    tree = ast.parse((lab.directory / "checks.py").read_text())
    for f in tree.body:
        if isinstance(f, ast.FunctionDef) and f.name.startswith("test_"):
            marks = {ast.unparse(d).split("(")[0] for d in f.decorator_list}
            assert "pytest.mark.points" in marks, f"{lab.name}.{f.name} has no points"
            assert ast.get_docstring(f), f"{lab.name}.{f.name} has no docstring (it is the check's summary)"
