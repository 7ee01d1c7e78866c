"""Sub-commands that meet the course where it lives (added to the parser by grader.cli).

    grader report OUT_DIR [-o FILE]                    the class report: one self-contained HTML file
    grader export gradescope LAB -o autograder.zip     a Gradescope autograder for one lab
    grader init [DIR] [--labs a,b]                     a course repository: grader.yml, CI workflow, README
    grader new-lab NAME --kind server|client           a new lab that passes `grader selftest NAME` at once
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from grader.errors import ExitCode


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    r = sub.add_parser("report", help="the class report: one HTML file from a `grader grade` output folder",
                       description="Write OUT_DIR/report.html: score histogram, pass rate per check, the slowest "
                       "and the failing submissions, and every student's feedback and transcripts. The file is "
                       "self-contained (no network, no scripts): open it from disk or mail it.")
    r.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="the --out folder of `grader grade`")
    r.add_argument("-o", "--output", type=Path, help="where to write the report (default: OUT_DIR/report.html)")

    e = sub.add_parser("export", help="a Gradescope autograder, or grades for Canvas or Moodle",
                       description="grader export gradescope LAB: package LAB as a Gradescope autograder, a .zip "
                       "with setup.sh and run_autograder that grade /autograder/submission with the local sandbox "
                       "(hidden checks included, shown to students after publication) and write "
                       "/autograder/results/results.json. Upload it as the assignment's autograder.\n\n"
                       "grader export canvas|moodle RESULTS: turn the grades.csv of a `grader grade` output "
                       "folder into the LMS's own grade import file, matched to the class roster (--roster, or "
                       "grader.yml's `roster:`). Students who cannot be matched are listed and left out.",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    e.add_argument("platform", choices=["gradescope", "canvas", "moodle"], help="where the result goes")
    e.add_argument("lab", metavar="LAB|RESULTS",
                   help="gradescope: the lab's name (see `grader list`); canvas, moodle: the --out folder of "
                   "`grader grade` (or its grades.csv)")
    e.add_argument("-o", "--output", type=Path, help="the file to write (default: ./LAB-autograder.zip, "
                   "./LAB-canvas.csv, ./LAB-moodle.csv)")
    e.add_argument("--config", type=Path, help="course configuration: points and hidden checks (gradescope), "
                   "the roster (canvas, moodle) (default: ./grader.yml if present)")
    e.add_argument("--roster", type=Path, help="canvas, moodle: the class roster CSV (Canvas's gradebook export "
                   "or Moodle's participants export work as they are); default: grader.yml's roster")
    e.add_argument("--assignment", help="canvas: the score column, 'Title (assignment id)' to update an existing "
                   "assignment (default: the lab's title, which creates a new one); moodle: the grade item name")
    e.add_argument("--key", choices=["email", "idnumber", "username"], default="email",
                   help="moodle: how the import identifies users (default: email)")

    i = sub.add_parser("init", help="scaffold a course repository: grader.yml, a CI workflow, a README",
                       description="Write grader.yml (the chosen labs), .github/workflows/grader.yml (runs "
                       "`grader selftest` on every push and publishes JUnit XML) and a README section telling "
                       "students how to run the pre-check. Existing files are left alone unless --force.")
    i.add_argument("dir", nargs="?", type=Path, default=Path("."), help="the course repository (default: here)")
    i.add_argument("--labs", help="comma-separated labs the course offers (default: all)")
    i.add_argument("--install", help="how CI installs the grader: a pip requirement (default: the grader's "
                   "own source, vendored into DIR/.grader/)")
    i.add_argument("--force", action="store_true", help="overwrite files that exist")

    n = sub.add_parser("new-lab", help="scaffold a lab (checks, handout, reference, a known-bad variant)",
                       description="Create assignments/NAME/ (assignment.yml, README.md, checks.py with one "
                       "working check, variants/<known-bad>/) and reference/NAME/, so that `grader selftest NAME` "
                       "passes at once. Then edit them: docs/writing-a-lab.md walks through a real lab.")
    n.add_argument("name", help="the lab's name: lower case letters, digits and _")
    n.add_argument("--kind", choices=["server", "client"], required=True,
                   help="server: the student writes a server the checks talk to; client: the student writes a "
                   "client and the checks play the server")
    n.add_argument("--port", type=int, default=9000, help="the lab's TCP port (default: 9000)")
    n.add_argument("--file", help="the student's file (default: server.py or client.py)")
    n.add_argument("--title", help="one line title (default: made from NAME)")
    n.add_argument("--root", type=Path, help="the folder that gets assignments/ and reference/ (default: "
                   "$SOCKLAB_LABS, else the current folder)")


def cmd_report(args: argparse.Namespace) -> int:
    import time

    from grader.reports.html import write_report

    started = time.monotonic()
    with _other_place("choose another file with -o"):
        path = write_report(args.out_dir, args.output)
    print(f"wrote {path} ({path.stat().st_size // 1024} KiB, {time.monotonic() - started:.1f} s): "
          f"open it in a browser", file=sys.stderr)
    print(path)
    return ExitCode.OK


def cmd_export(args: argparse.Namespace) -> int:
    from grader.config import find_config, load_config
    from grader.export import export_gradescope
    from grader.labs import all_labs, get_lab

    if args.platform in ("canvas", "moodle"):
        return _export_lms(args)
    lab = get_lab(args.lab)
    config = load_config(find_config(args.config), all_labs())
    out = args.output or Path(f"{lab.name}-autograder.zip")
    if out.is_dir():  # like cp: a folder given as -o gets the zip inside it
        out = out / f"{lab.name}-autograder.zip"
    with _other_place("choose another place with -o"):
        info = export_gradescope(lab, out, config.lab(lab.name))
    print(f"wrote {out}: {info}", file=sys.stderr)
    print(out)
    return ExitCode.OK


def _export_lms(args: argparse.Namespace) -> int:
    import json

    from grader.atomic import write_atomic
    from grader.classlist import read_classlist
    from grader.config import find_config, load_config
    from grader.errors import UsageError
    from grader.labs import all_labs
    from grader.lms_export import canvas_csv, moodle_csv, read_grades

    results = Path(args.lab)
    grades = read_grades(results)
    config = load_config(find_config(args.config), all_labs())
    roster_path = args.roster or config.roster
    members = read_classlist(roster_path) if roster_path else None
    try:
        lab = json.loads(((results if results.is_dir() else results.parent) / "summary.json").read_text())["lab"]
    except (OSError, ValueError, KeyError, TypeError):
        lab = "lab"
    labs = all_labs()
    title = args.assignment or (labs[lab].title if lab in labs else lab)
    if args.platform == "canvas":
        export = canvas_csv(grades, members, title)
    else:
        if members is None:
            raise UsageError("grader export moodle needs the class roster (Moodle matches users by email, ID "
                             "number or username, which folder names do not carry): pass --roster FILE.csv, or "
                             "set `roster:` in grader.yml")
        export = moodle_csv(grades, members, title, args.key)
    out = args.output or Path(f"{lab}-{args.platform}.csv")
    with _other_place("choose another file with -o"):
        write_atomic(out, export.text)
    print(f"wrote {out}: {export.rows} student(s) for {args.platform}, column '{title}'", file=sys.stderr)
    if export.unmatched:
        print(f"not in the file ({len(export.unmatched)}: no match in the roster"
              f"{'' if members is not None else ' (no roster given)'}): {', '.join(export.unmatched)}",
              file=sys.stderr)
    print(out)
    return ExitCode.OK


@contextlib.contextmanager
def _other_place(other: str) -> Iterator[None]:
    """An output that cannot be written names this command's own way to write elsewhere."""
    from grader.errors import OutputError, output_error

    try:
        yield
    except OutputError as exc:
        raise output_error(exc.path, exc.cause, other=other) from exc


def cmd_init(args: argparse.Namespace) -> int:
    from grader.init_course import init_course

    labs = [s.strip() for s in args.labs.split(",") if s.strip()] if args.labs else None
    written = init_course(args.dir, labs, install=args.install, force=args.force)
    for path in written:
        print(f"wrote {path}")
    if not args.install:
        print("note: the grader is vendored in .grader/ (commit it): requirements-grader.txt installs it with or "
              "without a package index", file=sys.stderr)
    print("next: commit these files and push; CI runs `grader selftest` on every push", file=sys.stderr)
    return ExitCode.OK


def cmd_new_lab(args: argparse.Namespace) -> int:
    from grader.new_lab import new_lab

    made = new_lab(args.name, kind=args.kind, port=args.port, file=args.file, title=args.title, root=args.root)
    for path in made.files:
        print(f"wrote {path}")
    print(f"\nnext: {made.next_step}", file=sys.stderr)
    return ExitCode.OK


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "report": cmd_report, "export": cmd_export, "init": cmd_init, "new-lab": cmd_new_lab}
