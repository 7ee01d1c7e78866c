"""`grader export gradescope LAB`: the lab as a Gradescope autograder zip.

Gradescope unzips the autograder into /autograder/source, runs `setup.sh` there
once (as root, with internet), copies `run_autograder` to /autograder/, and
for every submission puts the student's files in /autograder/submission, runs
/autograder/run_autograder and reads /autograder/results/results.json.

The zip carries the grader itself, so nothing but the harness's own Python
dependencies comes from the network, and only when missing:

    setup.sh             makes sure Python >= 3.11 with pytest, pytest-timeout, PyYAML
                         and ntplib is there (pip from PyPI, else nothing to do)
    run_autograder       grader check LAB /autograder/submission --json --backend local
                         --include-hidden [--config grader.yml], then
                         `python3 -m grader.export finish` turns its output into results.json
    requirements.txt     the harness's dependencies, pinned to the same floors as pyproject
    grader.yml           only when the course configuration changes LAB's points or hidden checks
    grader-src/          the grader and harness packages and assignments/LAB (checks and
                         handout; no variants, no reference solution), on PYTHONPATH

Inside Gradescope there is no Docker: the checks run in the local sandbox (its
own namespaces where the container allows them, plain loopback with a warning
otherwise). Hidden checks are graded with visibility `after_published`.

Rule: run_autograder always leaves a valid results.json. When the grader
could not grade (the file is missing, or grader trouble), the document says so
in its `output` and gives no score from a check that did not run.
"""

from __future__ import annotations

import argparse
import io
import json
import stat
import sys
import zipfile
from pathlib import Path
from typing import Any

import yaml

from grader import __version__
from grader.atomic import write_atomic
from grader.config import LabConfig
from grader.errors import OutputError
from grader.labs import Lab
from grader.paths import PACKAGE, harness_root

SOURCE = "grader-src"
REQUIREMENTS = "pytest>=7.2\npytest-timeout>=2.1,!=2.5.0\npyyaml>=6.0\nntplib>=0.3.3\n"
_SKIP_PARTS = {"__pycache__", "_data", ".pytest_cache", ".mypy_cache"}
_EPOCH = (2020, 1, 1, 0, 0, 0)  # fixed timestamps: the same lab gives the same zip

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, in /autograder/source, when the autograder is built.
# It makes sure a Python >= 3.11 with the harness's dependencies is there; the grader
# itself is in grader-src/ (no install step: run_autograder puts it on PYTHONPATH).
set -euo pipefail
cd "$(dirname "$0")"

pick_python() {
    for py in python3.13 python3.12 python3.11 python3; do
        if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
            command -v "$py"; return 0
        fi
    done
    return 1
}

PY=$(pick_python || true)
if [ -z "$PY" ]; then
    echo "setup.sh: no Python >= 3.11; installing python3.11 with apt" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3.11 python3-pip >/dev/null
    PY=$(pick_python)
fi
echo "setup.sh: using $PY ($("$PY" --version 2>&1))"

if "$PY" -c 'import pytest, pytest_timeout, yaml, ntplib' 2>/dev/null; then
    echo "setup.sh: pytest, pytest-timeout, PyYAML and ntplib are already installed"
else
    if ! "$PY" -m pip --version >/dev/null 2>&1; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null
    fi
    # Debian/Ubuntu releases with PEP 668 need --break-system-packages; older pips do not know it.
    "$PY" -m pip install --quiet -r requirements.txt \\
        || "$PY" -m pip install --quiet --break-system-packages -r requirements.txt
fi
echo "$PY" > .python
PYTHONPATH="$PWD/grader-src" "$PY" -m grader --version
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission: grade /autograder/submission with the
# local sandbox (no Docker here), hidden checks included, and always leave a valid
# /autograder/results/results.json.
set -uo pipefail
SOURCE=/autograder/source
RESULTS=/autograder/results
PY=$(cat "$SOURCE/.python" 2>/dev/null || echo python3)
export PYTHONPATH="$SOURCE/grader-src" PYTHONDONTWRITEBYTECODE=1
# Gradescope's container has no namespaces for the checks (no CAP_SYS_ADMIN): the grader may
# point the lab's host names (pool.ntp.org, ...) at its fake servers in this container's
# /etc/hosts for the run, as the Docker sandbox does with extra_hosts.
export GRADER_EDIT_ETC_HOSTS=1
mkdir -p "$RESULTS"
CONFIG=()
if [ -f "$SOURCE/grader.yml" ]; then CONFIG=(--config "$SOURCE/grader.yml"); fi
"$PY" -m grader check @LAB@ /autograder/submission --json --backend local --include-hidden "${CONFIG[@]}" \\
    > "$RESULTS/grader.stdout" 2> "$RESULTS/grader.stderr"
code=$?
"$PY" -m grader.export finish --exit-code "$code" --stdout "$RESULTS/grader.stdout" \\
    --stderr "$RESULTS/grader.stderr" --out "$RESULTS/results.json"
"""


def export_gradescope(lab: Lab, out: Path, course: LabConfig | None = None) -> str:
    """Write the autograder zip for `lab`; return a one-line description of what is in it."""
    overrides = course.overrides() if course else {}
    files: dict[str, bytes] = {
        "setup.sh": SETUP_SH.encode(),
        "run_autograder": RUN_AUTOGRADER.replace("@LAB@", lab.name).encode(),
        "requirements.txt": REQUIREMENTS.encode(),
    }
    if overrides:
        assert course is not None
        files["grader.yml"] = course_yaml(lab.name, course).encode()
    for prefix, folder in (("grader", PACKAGE), ("harness", harness_root() / "harness")):
        for path in _tree(folder):
            files[f"{SOURCE}/{prefix}/{path.relative_to(folder).as_posix()}"] = path.read_bytes()
    for path in _tree(lab.directory, skip_top=("variants",)):
        files[f"{SOURCE}/assignments/{lab.name}/{path.relative_to(lab.directory).as_posix()}"] = path.read_bytes()
    buffer = io.BytesIO()  # a few hundred KiB: built in memory, then written in one atomic step
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            executable = name in ("setup.sh", "run_autograder")
            info.external_attr = ((stat.S_IFREG | (0o755 if executable else 0o644)) << 16)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, files[name])
    write_atomic(out, buffer.getvalue(), make_parents=False)
    hidden = sorted(n for n, o in overrides.items() if o.get("hidden"))
    return (f"{lab.name} with grader {__version__}, {len(files)} files, "
            f"{out.stat().st_size // 1024} KiB" + (f"; hidden: {', '.join(hidden)}" if hidden else ""))


def course_yaml(lab: str, course: LabConfig) -> str:
    """A grader.yml holding only what changes how LAB is graded (points and hidden checks)."""
    entry: dict[str, Any] = {}
    if course.points:
        entry["points"] = dict(sorted(course.points.items()))
    if course.hidden:
        entry["hidden"] = list(course.hidden)
    body = str(yaml.safe_dump({"labs": {lab: entry}}, sort_keys=False))
    return "# The course's settings for this lab, from `grader export` (grader.yml format).\n" + body


def _tree(folder: Path, skip_top: tuple[str, ...] = ()) -> list[Path]:
    out = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if (not path.is_file() or path.is_symlink() or rel.parts[0] in skip_top
                or any(p in _SKIP_PARTS or p.startswith(".") for p in rel.parts) or path.suffix in (".pyc", ".pyo")):
            continue
        out.append(path)
    return out


# --------------------------------------------------------------------------- inside Gradescope


def gradescope_results(stdout: str, stderr: str, exit_code: int) -> dict[str, Any]:
    """results.json from `grader check --json`'s output: its document, or one explaining why there is none."""
    try:
        doc = json.loads(stdout) if stdout.strip() else None
    except ValueError:
        doc = None
    if isinstance(doc, dict) and isinstance(doc.get("tests"), list):
        if exit_code == 3:  # grader or sandbox trouble: say so at the top, where students look first
            doc["output"] = ("The autograder ran into trouble of its own on this submission (not your fault): "
                             "the checks marked as errors did not run. Resubmit, or tell the course staff.\n"
                             + str(doc.get("output", ""))).strip()
        return _gradescope_keys(doc)
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    message = "\n".join(lines[-20:]) or f"the grader exited with status {exit_code} and printed nothing"
    if exit_code == 2:  # bad input: typically the lab's file is missing from the submission
        text = f"Your submission could not be graded:\n{message}"
    else:
        text = ("The autograder could not grade this submission (its own trouble, not yours). "
                f"Resubmit, or tell the course staff:\n{message}")
    return {"score": 0.0, "execution_time": 0.0, "output": text, "output_format": "text",
            "stdout_visibility": "hidden", "tests": [],
            "extra_data": {"grader_exit_code": exit_code, "grader_version": __version__}}


#: Top-level keys of Gradescope's results.json specification. `grader check --json` writes only
#: these already; a document from an older grader gets any other key moved into extra_data.
GRADESCOPE_KEYS = ("score", "execution_time", "output", "output_format", "test_output_format",
                   "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard")


def _gradescope_keys(doc: dict[str, Any]) -> dict[str, Any]:
    extra: dict[str, Any] = doc["extra_data"] if isinstance(doc.get("extra_data"), dict) else {}
    out = {k: v for k, v in doc.items() if k in GRADESCOPE_KEYS}
    out["extra_data"] = {**extra, **{k: v for k, v in doc.items() if k not in GRADESCOPE_KEYS}}
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m grader.export",
                                description="Helpers that run inside the exported autograder.")
    sub = p.add_subparsers(dest="command", required=True)
    f = sub.add_parser("finish", help="write results.json from `grader check --json`'s output")
    f.add_argument("--exit-code", type=int, required=True)
    f.add_argument("--stdout", type=Path, required=True)
    f.add_argument("--stderr", type=Path, required=True)
    f.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)

    def read(path: Path) -> str:
        try:
            return path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    doc = gradescope_results(read(args.stdout), read(args.stderr), args.exit_code)
    try:
        write_atomic(args.out, json.dumps(doc, indent=1) + "\n")
    except OutputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    print(f"results.json: score {doc.get('score', 0):g}, {len(doc['tests'])} tests "
          f"(grader exit status {args.exit_code})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
