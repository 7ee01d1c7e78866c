"""Where the lab data lives: inside the installed package, or the source checkout."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
#: A folder holding assignments/ and reference/ (a course repository, or a test's
#: temporary folder) whose labs are added to the bundled ones; a lab there with a
#: bundled lab's name replaces it. See grader.labs.all_labs.
LABS_ENV = "SOCKLAB_LABS"


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


def extra_labs_root() -> Path | None:
    """The folder named by $SOCKLAB_LABS (read on every call, so tests can set it), or None."""
    value = os.environ.get(LABS_ENV, "").strip()
    return Path(value).expanduser().resolve() if value else None
