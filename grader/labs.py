"""The lab catalogue: assignments/<lab>/assignment.yml, read and checked."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
import yaml

from grader.errors import ConfigError, UsageError, did_you_mean
from grader.paths import data_root, extra_labs_root

REQUIRED = {"name": str, "title": str, "kind": str, "file": str}


@dataclass(frozen=True, slots=True, kw_only=True)
class Variant:
    name: str
    path: Path
    fails: str
    why: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Lab:
    name: str
    title: str
    kind: str
    file: str
    port: int | None
    protocol: str
    summary: str
    directory: Path
    reference: Path
    variants: tuple[Variant, ...] = field(default=())

    @property
    def handout(self) -> Path:
        return self.directory / "README.md"

    def check_names(self) -> list[str]:
        """The lab's checks in order, read from checks.py without running it (plus `compiles`)."""
        try:
            tree = ast.parse((self.directory / "checks.py").read_bytes())
        except (OSError, SyntaxError) as exc:
            raise ConfigError(f"{self.directory / 'checks.py'}: cannot read the lab's checks: {exc}") from exc
        return ["compiles"] + [f.name.removeprefix("test_") for f in tree.body
                               if isinstance(f, ast.FunctionDef) and f.name.startswith("test_")]

    def describe(self) -> str:
        where = f"{self.protocol.upper()} port {self.port}" if self.port else self.kind
        return f"{self.file} ({self.kind}, {where})"


def load_lab(directory: Path, root: Path | None = None) -> Lab:
    root = root or directory.parent.parent
    path = directory / "assignment.yml"
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the lab's description: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys, got {type(data).__name__}")
    for key, typ in REQUIRED.items():
        if not isinstance(data.get(key), typ):
            raise ConfigError(f"{path}: {key}: expected a {typ.__name__}, got {data.get(key)!r}")
    variants = []
    for vname, vdata in (data.get("variants") or {}).items():
        if not isinstance(vdata, dict) or not isinstance(vdata.get("fails"), str):
            raise ConfigError(f"{path}: variants.{vname}.fails: expected the name of a check")
        variants.append(Variant(name=vname, path=directory / "variants" / vname,
                                fails=vdata["fails"], why=str(vdata.get("why", ""))))
    return Lab(
        name=data["name"], title=data["title"], kind=data["kind"], file=data["file"],
        port=data.get("port"), protocol=data.get("protocol", "tcp"), summary=data.get("summary", ""),
        directory=directory, reference=root / "reference" / data["name"], variants=tuple(variants),
    )


def all_labs(root: Path | None = None) -> dict[str, Lab]:
    """The labs under `root`; by default the bundled ones, plus those under $SOCKLAB_LABS
    (a course repository's own labs, which replace a bundled lab of the same name)."""
    if root is not None:
        return _labs_in(root)
    labs = _labs_in(data_root())
    extra = extra_labs_root()
    if extra is not None and extra != data_root().resolve():
        labs.update(_labs_in(extra))
    return dict(sorted(labs.items()))


def _labs_in(root: Path) -> dict[str, Lab]:
    labs: dict[str, Lab] = {}
    folder = root / "assignments"
    if not folder.is_dir():
        return labs
    for d in sorted(folder.iterdir()):
        if (d / "assignment.yml").is_file():
            labs[d.name] = load_lab(d, root)
    return labs


def get_lab(name: str, root: Path | None = None) -> Lab:
    labs = all_labs(root)
    if name not in labs:
        raise UsageError(f"unknown lab '{name}'{did_you_mean(name, labs)}; `grader list` shows the labs")
    return labs[name]

