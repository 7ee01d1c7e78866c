"""The grader as wheels inside a course repository, so that nobody needs a package index for it.

    DIR/.grader/socklab_grader-VERSION-py3-none-any.whl    built from this grader's source
    DIR/.grader/*.whl                                       its runtime dependencies (pytest, PyYAML, ...)

requirements-grader.txt then reads `--find-links .grader` and `socklab-grader==VERSION`:
`pip install -r requirements-grader.txt` works with the index (CI) and without it
(`--no-index`, offline, on the same Python and platform the wheels were fetched for). The
wheels are fetched once, here, by the instructor's `grader init`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from grader import __version__
from grader.errors import UsageError
from grader.paths import PACKAGE

FOLDER = ".grader"


def source_root() -> Path | None:
    """The checkout this grader runs from (it has pyproject.toml), or None for an installed wheel."""
    root = PACKAGE.parent
    return root if (root / "pyproject.toml").is_file() and (root / "harness").is_dir() else None


def _pip(*args: str) -> None:
    cmd = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise UsageError(f"`pip {' '.join(args[:2])}` failed while vendoring the grader: {' '.join(tail)}\n"
                         "Fix: run `grader init` where pip can reach your package index once, or pass "
                         "--install REQUIREMENT (a git URL or a wheel you host)")


def vendor(directory: Path) -> list[Path]:
    """Build this grader's wheel into DIR/.grader and fetch its runtime dependencies next to it."""
    root = source_root()
    if root is None:
        raise UsageError("grader init vendors the grader from its source checkout, and this grader is an "
                         "installed wheel: pass --install REQUIREMENT (e.g. a git URL of the grader)")
    dest = directory / FOLDER
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("socklab_grader-*.whl"):
        old.unlink()
    _pip("wheel", "--no-deps", "-w", str(dest), str(root))
    wheel = next(dest.glob(f"socklab_grader-{__version__}-*.whl"), None)
    if wheel is None:
        raise UsageError(f"building the grader's wheel left nothing in {dest}")
    _pip("download", "--only-binary=:all:", "-d", str(dest), str(wheel))  # the student install's deps
    return sorted(dest.glob("*.whl"))


def requirements() -> str:
    return (f"# The grader, vendored in {FOLDER}/ by `grader init` (no package index needed):\n"
            f"#   pip install -r requirements-grader.txt              (students; CI)\n"
            f"#   pip install --no-index -r requirements-grader.txt   (offline)\n"
            f"--find-links {FOLDER}\nsocklab-grader=={__version__}\n")
