"""Where the lab data lives: inside the installed package, or the source checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


@cache
def data_root() -> Path:
    """The folder holding assignments/, reference/, docker/ and examples/.

    A wheel carries them in grader/_data (see pyproject.toml); an editable
    install or a plain checkout finds them next to the package.
    """
    bundled = PACKAGE / "_data"
    if (bundled / "assignments").is_dir():
        return bundled
    return PACKAGE.parent


def harness_root() -> Path:
    """The folder that contains the `harness` package (put on PYTHONPATH for the runner)."""
    import harness

    return Path(harness.__file__).resolve().parent.parent
