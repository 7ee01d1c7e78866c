"""Shared fixtures of the project's own tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.cli import main

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def grader_cli(capsys: pytest.CaptureFixture[str]):
    """Run `grader ARGS` in-process: (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def check_json(grader_cli):
    """`grader check LAB PATH --json` -> (exit code, document)."""

    def run(lab: str, path: Path, *extra: str) -> tuple[int, dict]:
        code, out, err = grader_cli("check", lab, path, "--json", *extra)
        assert out.count("\n{") == 0 and out.startswith("{"), f"stdout is not one JSON document:\n{out}\n{err}"
        return code, json.loads(out)

    return run
