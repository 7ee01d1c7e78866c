"""The package boundaries, read from the source (no import is executed).

  * harness/ runs inside the sandbox and never imports grader/ (the seam is the
    results document, harness.schema, and the runner's command line);
  * harness.schema, the seam's one format, imports only the standard library;
  * only grader.docker_engine imports the Docker SDK (it translates its errors).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imports(path: Path) -> Iterator[str]:
    """Every module name `path` imports, at any depth (function-level imports too)."""
    for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_harness_never_imports_grader() -> None:
    found = [f"{p.relative_to(ROOT)}: {name}" for p in sources("harness") for name in imports(p)
             if name == "grader" or name.startswith("grader.")]
    assert found == []


def test_the_schema_imports_only_the_standard_library() -> None:
    names = {name.split(".")[0] for name in imports(ROOT / "harness" / "schema.py")}
    assert names <= set(sys.stdlib_module_names) | {"__future__"}


def test_only_docker_engine_imports_the_docker_sdk() -> None:
    found = {str(p.relative_to(ROOT)) for package in ("grader", "harness") for p in sources(package)
             for name in imports(p) if name == "docker" or name.startswith("docker.")}
    assert found == {"grader/docker_engine.py"}
