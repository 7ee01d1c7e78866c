"""The lab catalogue: assignments/<lab>/assignment.yml, read and checked."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import ConfigError, UsageError, did_you_mean
from grader.paths import data_root, extra_labs_root
from harness.labspec import LabSpec, LabSpecError, load_spec


@dataclass(frozen=True, slots=True, kw_only=True)
class Variant:
    """A program kept beside the reference: known-bad (`fails: CHECK`) or known-good (`passes: all`)."""

    name: str
    path: Path
    fails: str | None  # the check a known-bad variant must fail; None for a known-good one
    why: str

    @property
    def good(self) -> bool:
        return self.fails is None


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
    # everything assignment.yml says, as the harness reads it too (hosts, sysctls, settings)
    spec: LabSpec = field(compare=False, hash=False, repr=False)

    @property
    def bad_variants(self) -> tuple[Variant, ...]:
        return tuple(v for v in self.variants if not v.good)

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
    """The lab in `directory`, from its assignment.yml (parsed by harness.labspec, shared with the sandbox)."""
    root = root or directory.parent.parent
    try:
        spec = load_spec(directory)
    except LabSpecError as exc:
        raise ConfigError(str(exc)) from exc
    variants = tuple(Variant(name=v.name, path=directory / "variants" / v.name, fails=v.fails, why=v.why)
                     for v in spec.variants)
    return Lab(
        name=spec.name, title=spec.title, kind=spec.kind, file=spec.file, port=spec.port, protocol=spec.protocol,
        summary=spec.summary, directory=directory, reference=root / "reference" / spec.name, variants=variants,
        spec=spec,
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
    # One lab's file, not all of them, when the name is a folder of the labs' (a course's own labs first,
    # as in all_labs): parsing every assignment.yml cost a `grader check` about 0.1 s.
    if root is None and name.isidentifier():
        for base in (extra_labs_root(), data_root()):
            if base is not None and (base / "assignments" / name / "assignment.yml").is_file():
                return load_lab(base / "assignments" / name, base)
    labs = all_labs(root)
    if name not in labs:
        raise UsageError(f"unknown lab '{name}'{did_you_mean(name, labs)}; `grader list` shows the labs")
    return labs[name]

