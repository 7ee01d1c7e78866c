"""The same score in every sandbox: every subject of a lab in four sandboxes, N times.

    .venv/bin/python bench/parity.py --labs tcp_echo,hello --repeat 10 [--out parity.md]
    .venv/bin/python bench/parity.py --repeat fallback=10,gradescope=10,local=3,docker=3 --jobs 3 --parallel

Subjects: the reference and every variant (known-good and known-bad) of each
lab. Sandboxes (labs.md and issue 12, item 6):

    local       the local backend with its namespaces (a fresh network namespace per check)
    fallback    the local backend forced onto its no-namespace fallback (GRADER_ISOLATE=no):
                one loopback for every check and every run. It runs inside one private
                network namespace that this tool makes, so that it shares its loopback
                with nothing else on this (shared) machine: what the fallback must cope
                with is what its own earlier checks and runs leave behind.
    docker      the Docker backend: one container per run, one namespace for all its checks
    gradescope  `grader export gradescope LAB`, set up (setup.sh) and run (run_autograder)
                as Gradescope does, in ONE container with Docker's default capabilities
                (no CAP_SYS_ADMIN: no namespaces; root; no network), built from the
                project's own sandbox image. Every subject is graded there in turn, and
                the whole round is repeated in the same container: round 2 is "a second
                run in the same container within a minute".

Each (sandbox, round) visits the subjects in the same order, one after another,
so state one subject leaves behind meets the next. Hidden checks are included
everywhere (Gradescope grades them).

--jobs N spreads each sandbox over N at once, without losing that: local and
Docker grade N subjects at a time (each run has its own namespaces or container,
as in `grader grade`); the fallback and Gradescope split the labs into N groups,
each in its own private network namespace or container, which visits its labs'
subjects one after another, round after round, as above.

A subject has parity when every run in every sandbox gives the same score and
the same outcome for each check. tests/docker/test_parity.py runs this once per
sandbox (two Gradescope rounds); the table in the issue's note comes from
--repeat 10.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from grader.labs import Lab, all_labs, get_lab  # noqa: E402 - after the path set-up, for `python bench/parity.py`

SANDBOXES = ("local", "fallback", "docker", "gradescope")
TEST_LABEL = "edu.socklab.grader.test"
MARK = "@@parity "


@dataclass(frozen=True, slots=True)
class Run:
    """One graded run: the total score and each check's outcome."""

    score: float
    outcomes: tuple[tuple[str, str], ...]
    errors: tuple[str, ...] = field(default=(), compare=False)  # what each `error` check said, to find the cause

    @classmethod
    def from_document(cls, doc: dict) -> Run:
        tests = doc.get("tests") or []
        outcomes = tuple((t["name"], (t.get("extra_data") or {}).get("outcome", t.get("status", "?"))) for t in tests)
        errors = tuple(f"{t['name']}: {str(t.get('output', ''))[-1500:]}" for t, (_, outcome) in zip(tests, outcomes, strict=True)
                       if outcome == "error")
        return cls(float(doc.get("score", 0)), outcomes, errors)


@dataclass(slots=True)
class Table:
    """runs[subject label][sandbox] -> one Run per round."""

    runs: dict[str, dict[str, list[Run]]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, label: str, sandbox: str, run: Run) -> None:
        self.runs.setdefault(label, {}).setdefault(sandbox, []).append(run)

    def differing(self) -> dict[str, str]:
        """Subjects without parity, each with the runs that differ from its most common run."""
        out = {}
        for label, by_box in self.runs.items():
            every = [run for runs in by_box.values() for run in runs]
            if len(set(every)) > 1:
                usual = Counter(every).most_common(1)[0][0]
                out[label] = "; ".join(f"{box}: {_describe_runs(runs, usual)}" for box, runs in by_box.items())
        return out

    def markdown(self, sandboxes: Iterable[str]) -> str:
        boxes = list(sandboxes)
        lines = ["| subject | " + " | ".join(boxes) + " |", "| --- |" + " --- |" * len(boxes)]
        for label, by_box in self.runs.items():
            cells = [_cell(by_box.get(box, [])) for box in boxes]
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        return "\n".join(lines)


def _cell(runs: list[Run]) -> str:
    if not runs:
        return "-"
    counts = Counter(r.score for r in runs)
    outcomes = {r.outcomes for r in runs}
    text = " ".join(f"{score:g}" + (f" x{n}" if len(counts) > 1 or n > 1 else "") for score, n in sorted(counts.items()))
    return text + (" (outcomes differ)" if len(outcomes) > 1 and len(counts) == 1 else "")


def _describe_runs(runs: list[Run], usual: Run) -> str:
    parts = []
    for i, run in enumerate(runs, 1):
        diff = [f"{name}={outcome}" for name, outcome in run.outcomes if (name, outcome) not in usual.outcomes]
        parts.append(f"round {i} {run.score:g}" + (f" ({', '.join(diff)})" if diff else "")
                     + "".join(f"\n  error in {text}" for text in run.errors))
    return ", ".join(parts)


def subjects(lab: Lab) -> list[tuple[str, Path]]:
    return [("reference", lab.reference)] + [(v.name, v.path) for v in lab.variants]


# ------------------------------------------------------------------ local and docker

def run_backend(backend: object, labs: list[Lab], repeat: int, emit: Callable[[str, int, Run], None],
                jobs: int = 1) -> None:
    """Every subject of `labs`, `repeat` rounds, `jobs` runs at a time (in order when jobs is 1)."""
    from grader.backends import RunRequest

    def grade(round_no: int, lab: Lab, name: str, path: Path) -> None:
        report = backend.run(RunRequest(lab=lab, submission=path, include_hidden=True))  # type: ignore[attr-defined]
        emit(f"{lab.name}/{name}", round_no, Run.from_document(report.to_json()))

    work = [(n, lab, name, path) for n in range(1, repeat + 1) for lab in labs for name, path in subjects(lab)]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for future in [pool.submit(grade, *item) for item in work]:
            future.result()


def groups(labs: list[Lab], n: int) -> list[list[Lab]]:
    """`labs` in at most n groups of about as many subjects each (the biggest lab first into the
    smallest group); each group keeps the catalogue's order."""
    bins: list[list[Lab]] = [[] for _ in range(max(1, min(n, len(labs))))]
    for lab in sorted(labs, key=lambda lab: -len(subjects(lab))):
        min(bins, key=lambda b: sum(len(subjects(x)) for x in b)).append(lab)
    order = {lab.name: i for i, lab in enumerate(labs)}
    return [sorted(b, key=lambda lab: order[lab.name]) for b in bins if b]


def in_groups(labs: list[Lab], jobs: int, each: Callable[[list[Lab]], None]) -> None:
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for future in [pool.submit(each, group) for group in groups(labs, jobs)]:
            future.result()


def run_fallback(labs: list[Lab], repeat: int, emit: Callable[[str, int, Run], None], jobs: int = 1) -> None:
    """The forced fallback: `jobs` worker processes, each in a private network namespace of its own
    (see the docstring) with its group of labs."""
    def worker(group: list[Lab]) -> None:
        argv = [sys.executable, str(Path(__file__).resolve()), "--fallback-worker",
                "--labs", ",".join(lab.name for lab in group), "--repeat", str(repeat)]
        # Each run is reported as it ends (a long measurement cut short keeps what it measured);
        # stderr goes to a file, so that a chatty worker cannot block on a full pipe.
        with tempfile.TemporaryFile(mode="w+") as err:
            with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, text=True, cwd=REPO,
                                  env={**_env(), "GRADER_ISOLATE": "no"}) as proc:
                assert proc.stdout is not None
                for line in proc.stdout:
                    _parse_marked(line, emit)
            if proc.returncode != 0:
                err.seek(0)
                raise RuntimeError(f"the fallback worker failed ({proc.returncode}):\n{err.read()[-3000:]}")

    in_groups(labs, jobs, worker)


def fallback_worker(labs: list[Lab], repeat: int) -> None:
    from grader.backends.local import LocalBackend
    from harness import netns

    netns.enter_private_namespaces()  # the fallback's loopback, not the machine's
    run_backend(LocalBackend(isolate="no"), labs, repeat,
                lambda label, n, run: print(MARK + json.dumps([label, n, run.score, run.outcomes, run.errors]), flush=True))


def _parse_marked(text: str, emit: Callable[[str, int, Run], None]) -> None:
    for line in text.splitlines():
        if line.startswith(MARK):
            label, n, score, outcomes, errors = json.loads(line[len(MARK):])
            emit(label, int(n), Run(float(score), tuple((a, b) for a, b in outcomes), tuple(errors)))


def _env() -> dict[str, str]:
    import os

    return {**os.environ, "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1"}


# ------------------------------------------------------------------ gradescope

GRADESCOPE = r"""
set -eu
mkdir -p /autograder/source /autograder/results
python3 -c "import zipfile; zipfile.ZipFile('/in/autograder.zip').extractall('/autograder/source')"
chmod +x /autograder/source/setup.sh /autograder/source/run_autograder
cd /autograder/source && ./setup.sh >&2
cp /autograder/source/run_autograder /autograder/run_autograder
for round in $(seq 1 "$ROUNDS"); do
  for sub in $(cat /in/order); do
    rm -rf /autograder/submission /autograder/results/*
    mkdir -p /autograder/submission
    cp -r "/in/submissions/$sub"/. /autograder/submission/
    (cd /autograder && ./run_autograder) >&2
    printf '%s%s %s ' "@@gs " "$round" "$sub"
    python3 -c "import json; print(json.dumps(json.load(open('/autograder/results/results.json'))))"
  done
done
"""


def run_gradescope(lab: Lab, rounds: int, emit: Callable[[str, int, Run], None], image_tag: str | None = None) -> str:
    """Every subject of `lab`, `rounds` times over, in one Gradescope-like container; returns its stderr tail."""
    from grader import docker_engine, image
    from grader.export import export_gradescope

    tag = image_tag or image.ensure_image(REPO, progress=lambda line: None)
    inbox = Path(tempfile.mkdtemp(prefix="grader-parity-"))
    label_value = uuid.uuid4().hex[:12]
    try:
        export_gradescope(lab, inbox / "autograder.zip")
        order = []
        for name, path in subjects(lab):
            shutil.copytree(path, inbox / "submissions" / name, ignore=shutil.ignore_patterns("__pycache__"))
            order.append(name)
        (inbox / "order").write_text("\n".join(order) + "\n")
        for p in [inbox, *inbox.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
        # Docker's defaults, as Gradescope runs its containers: no cap_drop, no cap_add, default seccomp.
        result = docker_engine.run_once(
            tag, ["bash", "-c", GRADESCOPE], user="root", network_mode="none", timeout=120 + 60 * rounds * len(order),
            environment={"ROUNDS": str(rounds)}, labels={TEST_LABEL: label_value},
            volumes={str(inbox): {"bind": "/in", "mode": "ro"}}, output_limit=64 << 20)
        stderr = result.stderr.decode(errors="replace")
        if result.exit_code != 0 or result.timed_out:
            raise RuntimeError(f"the Gradescope container failed ({result.exit_code}):\n{stderr[-4000:]}")
        for line in result.stdout.decode(errors="replace").splitlines():
            if line.startswith("@@gs "):
                round_no, name, text = line[len("@@gs "):].split(" ", 2)
                emit(f"{lab.name}/{name}", int(round_no), Run.from_document(json.loads(text)))
        return stderr[-2000:]
    finally:
        docker_engine.sweep(f"{TEST_LABEL}={label_value}")
        shutil.rmtree(inbox, ignore_errors=True)


# ------------------------------------------------------------------ all four

def rounds(text: str, sandboxes: Iterable[str]) -> dict[str, int]:
    """--repeat: "10" (every sandbox) or "fallback=10,gradescope=10,local=3" (others: 1)."""
    boxes = list(sandboxes)
    if text.isdigit():
        return dict.fromkeys(boxes, int(text))
    out = dict.fromkeys(boxes, 1)
    for part in text.split(","):
        box, _, n = part.partition("=")
        if box not in boxes or not n.isdigit():
            raise ValueError(f"--repeat {text!r}: expected N or sandbox=N,... with sandboxes from {', '.join(boxes)}")
        out[box] = int(n)
    return out


def measure(labs: list[Lab], repeat: int | dict[str, int], sandboxes: Iterable[str] = SANDBOXES,
            progress: Callable[[str], None] = lambda line: None,
            after_each: Callable[[Table], None] = lambda table: None, parallel: bool = False,
            jobs: int = 1) -> Table:
    """Every subject of `labs` in each sandbox, `repeat` rounds (or repeat[sandbox]); after_each sees
    the table so far (after each sandbox, and every half minute). parallel: the sandboxes side by side,
    each the others' load. jobs: each sandbox spread over that many at once (the module's docstring)."""
    boxes = list(sandboxes)
    per_box = repeat if isinstance(repeat, dict) else dict.fromkeys(boxes, repeat)
    table = Table()
    lock = threading.Lock()
    saved = [time.monotonic()]
    # Rows in catalogue order, whichever sandbox reports first.
    for lab in labs:
        for name, _ in subjects(lab):
            table.runs[f"{lab.name}/{name}"] = {}

    def emitter(box: str) -> Callable[[str, int, Run], None]:
        def emit(label: str, round_no: int, run: Run) -> None:
            with lock:
                table.add(label, box, run)
                progress(f"{box} round {round_no} {label}: {run.score:g}")
                if time.monotonic() - saved[0] > 30:
                    saved[0] = time.monotonic()
                    after_each(table)
        return emit

    def one(box: str) -> None:
        started = time.monotonic()
        repeat = per_box[box]
        if box == "local":
            from grader.backends.local import LocalBackend

            run_backend(LocalBackend(isolate="auto"), labs, repeat, emitter(box), jobs)
        elif box == "fallback":
            run_fallback(labs, repeat, emitter(box), jobs)
        elif box == "docker":
            from grader.backends.docker import DockerBackend

            run_backend(DockerBackend(progress=lambda line: None), labs, repeat, emitter(box), jobs)
        elif box == "gradescope":
            from grader import image

            tag = image.ensure_image(REPO, progress=lambda line: None)  # once, before the groups race to build it
            in_groups(labs, jobs, lambda group: [run_gradescope(lab, repeat, emitter(box), tag) for lab in group])
        else:
            raise ValueError(f"unknown sandbox {box!r}: choose from {', '.join(SANDBOXES)}")
        with lock:
            table.seconds[box] = round(time.monotonic() - started, 1)
            after_each(table)

    if parallel:
        with ThreadPoolExecutor(max_workers=len(boxes)) as pool:
            for future in [pool.submit(one, box) for box in boxes]:
                future.result()
    else:
        for box in boxes:
            one(box)
    return table


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--labs", default="", help="comma-separated labs (default: all)")
    p.add_argument("--repeat", default="1", help="rounds per sandbox: N, or sandbox=N,... (the others 1)")
    p.add_argument("--sandboxes", default=",".join(SANDBOXES))
    p.add_argument("--out", type=Path, help="also write the table (markdown) here")
    p.add_argument("--parallel", action="store_true", help="the sandboxes side by side (about half the time on "
                   "2 cores; each is then the others' load)")
    p.add_argument("--jobs", type=int, default=1, help="spread each sandbox over this many at once (default 1: "
                   "one subject after another); the module's docstring says how each sandbox keeps its shared state")
    p.add_argument("--fallback-worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    labs = [get_lab(n) for n in args.labs.split(",") if n] or list(all_labs().values())
    if args.fallback_worker:
        fallback_worker(labs, int(args.repeat))
        return 0
    boxes = args.sandboxes.split(",")
    try:
        per_box = rounds(args.repeat, boxes)
    except ValueError as e:
        p.error(str(e))

    def render(table: Table) -> str:
        bad = table.differing()
        done = {box: max((len(r.get(box, [])) for r in table.runs.values()), default=0) for box in boxes}
        return (f"rounds per sandbox asked {per_box}, reported so far {done}; --jobs {args.jobs}; "
                f"seconds per sandbox: {table.seconds}\n\n"
                + table.markdown(boxes) + "\n\n"
                + ("Every subject has the same score and outcomes everywhere." if not bad else
                   "Without parity:\n" + "\n".join(f"- {k}: {v}" for k, v in bad.items())))

    def save(table: Table) -> None:  # after every sandbox, so a cut-short run keeps what it measured
        if args.out:
            args.out.write_text(render(table) + "\n")

    table = measure(labs, per_box, boxes, progress=lambda line: print(line, file=sys.stderr), after_each=save,
                    parallel=args.parallel, jobs=args.jobs)
    print(render(table))
    return 1 if table.differing() else 0


if __name__ == "__main__":
    sys.exit(main())
