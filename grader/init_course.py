"""`grader init [DIR]`: scaffold a course repository.

    DIR/grader.yml                     the labs the course offers (checked with grader.config)
    DIR/.github/workflows/grader.yml   GitHub Actions: `grader selftest` on every push, JUnit XML published
    DIR/requirements-grader.txt        how CI and students install the grader
    DIR/.grader/*.whl                  the grader and its dependencies as wheels (grader.vendor),
                                       unless --install names a requirement instead
    DIR/README.md                      for students: how to run the pre-check (README-grader.md if
                                       a README.md exists already)

Labs of the course's own (made with `grader new-lab` in DIR) live in
DIR/assignments and DIR/reference; the workflow sets SOCKLAB_LABS to the
repository so `grader` finds them next to the bundled ones.

Rule: nothing that exists is overwritten unless --force; grader.yml is checked
with the same code `grader grade` uses before anything is written.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from grader import __version__
from grader.config import load_config
from grader.errors import UsageError, did_you_mean
from grader.labs import Lab, all_labs

WORKFLOW = ".github/workflows/grader.yml"
JUNIT = "grader-selftest.xml"

GRADER_YML = """\
# grader.yml: the course configuration, read by `grader grade` (and `grader export --config`).
# Made by `grader init`; every key is optional. The whole file is checked before anything is
# graded, and each problem is reported with its key path.

# Sandbox for batch grading: docker (hardened containers) or local (this machine's namespaces).
backend: docker
# Sandboxes in parallel: a number, or auto (3 per core locally, 2 per core in Docker).
jobs: auto
# Where `grader grade` writes results.json, feedback.txt, grades.csv, junit.xml, summary.json
# and report.html.
output: grader-results

limits:
  deadline: 300        # seconds one submission may take in all

# The labs this course offers (`grader grade` refuses others). Under each lab, all optional:
#   points: {check: N}     hidden: [check, ...]     due: 2025-10-10T23:59:00+02:00
#   late_policy: {percent_per_day: 10, grace_minutes: 15, max_days: 5}
labs:
@LABS@"""

WORKFLOW_YML = """\
# Made by `grader init`: proves the course's checks on every push. Each lab's reference
# solution must get full marks and each known-bad variant must fail the check it names.
name: grader selftest

on:
  push:
  pull_request:

permissions:
  contents: read
  checks: write          # the JUnit report below publishes a check run

jobs:
  selftest:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    env:
      SOCKLAB_LABS: ${{ github.workspace }}   # this repository's own labs (grader new-lab), if any
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Install the grader
        run: python -m pip install -r requirements-grader.txt
      - name: Allow the local sandbox's user and network namespaces
        # Ubuntu 24.04 runners restrict unprivileged user namespaces; without them the checks
        # run on the runner's plain loopback and those needing their own namespace say so.
        run: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 || true
      - name: grader selftest
        run: grader selftest @LABS@ --junit @JUNIT@
      - name: Publish the JUnit report
        if: always()
        uses: mikepenz/action-junit-report@v4
        with:
          report_paths: @JUNIT@
          check_name: grader selftest
      - name: Keep the JUnit XML
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: grader-selftest-junit
          path: @JUNIT@
"""

README = """\
# @TITLE@

The labs of this course are graded by `grader` (socklab-grader @VERSION@): your program runs in a
sandbox and is probed over real sockets; every failed check says what was sent, what was
expected and what came back.

## Before you submit: run the pre-check

You need Python 3.11 or newer on Linux (or WSL on Windows; a Mac works too, with a warning
that some checks need Linux). No Docker.

```
python3 -m pip install --user -r requirements-grader.txt    # once
grader list                                                  # the labs
grader check LAB path/to/your/folder                         # or the lab's single file
```

It runs the same checks as the final grading, minus the hidden ones, in a few seconds. Then:

- `grader check LAB FOLDER --explain CHECK` shows everything one check did (what it sent,
  what came back) and how to try it by hand;
- `grader check LAB FOLDER --only CHECK ...` reruns just the checks you are fixing;
- the exit status is 0 when every check passed, 1 when some failed, and 3 when the grader
  itself ran into trouble (never counted against you: tell the course staff).

The labs offered: @LABLIST@.

## For the course staff

- `grader selftest` proves the checks (CI runs it on every push: `@WORKFLOW@`).
- `grader grade LAB SUBMISSIONS --out DIR` grades a class as configured in `grader.yml`;
  `grader report DIR` writes the class report.
- `grader new-lab NAME --kind server|client` starts a lab of your own in `assignments/` and
  `reference/`; keep reference solutions out of what students can see.
"""


def choose_labs(names: Sequence[str] | None, labs: dict[str, Lab]) -> list[str]:
    if not names:
        return list(labs)
    for name in names:
        if name not in labs:
            raise UsageError(f"--labs: unknown lab '{name}'{did_you_mean(name, labs)}; `grader list` shows the labs")
    return list(dict.fromkeys(names))


def render_files(labs: Sequence[str], install: str | None, title: str) -> dict[str, str]:
    """{relative path: content} of everything `grader init` writes."""
    config = GRADER_YML.replace("@LABS@", "".join(f"  {name}: {{}}\n" for name in labs))
    workflow = WORKFLOW_YML.replace("@LABS@", " ".join(labs)).replace("@JUNIT@", JUNIT)
    readme = (README.replace("@TITLE@", title).replace("@VERSION@", __version__)
              .replace("@LABLIST@", ", ".join(f"`{n}`" for n in labs)).replace("@WORKFLOW@", WORKFLOW))
    from grader import vendor

    requirements = vendor.requirements() if install is None else (
        "# How CI and students install the grader: a pip requirement (a version, a wheel's\n"
        "# path, or a git URL such as socklab-grader @ git+https://HOST/ORG/socklab-grader@v"
        f"{__version__}).\n{install}\n")
    return {"grader.yml": config, WORKFLOW: workflow, "requirements-grader.txt": requirements, "README.md": readme}


def init_course(directory: Path, lab_names: Sequence[str] | None = None, *, install: str | None = None,
                force: bool = False) -> list[Path]:
    """Write the course scaffold into `directory`; return the files written."""
    labs = all_labs()
    chosen = choose_labs(lab_names, labs)
    directory = Path(directory)
    files = render_files(chosen, install, title=(directory.resolve().name or "Course") + ": socket-programming labs")
    if (directory / "README.md").exists() and not force:
        files["README-grader.md"] = files.pop("README.md")
    clashes = [name for name in files if (directory / name).exists()]
    if clashes and not force:
        raise UsageError(f"{directory}: {', '.join(clashes)} exist(s) already; pass --force to overwrite")
    _validate(files["grader.yml"], labs)
    written = []
    if install is None:
        from grader import vendor

        written += vendor.vendor(directory)
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def _validate(text: str, labs: dict[str, Lab]) -> None:
    """The generated grader.yml must pass the same check as `grader grade` (a bug here is ours)."""
    with tempfile.TemporaryDirectory(prefix="grader-init-") as tmp:
        path = Path(tmp) / "grader.yml"
        path.write_text(text, encoding="utf-8")
        load_config(path, labs)
