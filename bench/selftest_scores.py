"""Scores of repeated selftests beside a parity table: every subject, every sandbox, every round.

    .venv/bin/python bench/selftest_scores.py bench/results/parity-10.md local=st-local.log docker=st-docker.log

A parity table (bench/parity.py's output: `| subject | local | fallback | docker | gradescope |`) gives
each subject's scores per sandbox; `grader selftest --repeat N` gives each subject's score in every run
(its verdict lines end in SCORE/MAX). Each NAME=LOG puts that log's scores in the NAME column in place
of the table's (a new column when the table has none), then prints the table with one more column:
whether the subject got one score in every round of every column. Exit 1 when a subject did not.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

# "ok   [run 3] tcp_echo/good_threads                 20/20  (1.2 s)"; a first run has no "[run N]"
_VERDICT = re.compile(r"^(ok  |FAIL) (?:\[run \d+\] )?(?P<label>\S+)\s+(?P<why>.*?)\s+\([\d.]+ s\)$")
_SCORE = re.compile(r"(\d+(?:\.\d+)?)/\d+(?:\.\d+)?$")


def log_scores(text: str) -> dict[str, Counter[str]]:
    """label -> how often each score came; a run whose verdict has no score (a grader error, a lost
    check of a known-good program) counts as its verdict."""
    scores: dict[str, Counter[str]] = {}
    for line in text.splitlines():
        m = _VERDICT.match(line)
        if m:
            s = _SCORE.search(m["why"])
            scores.setdefault(m["label"], Counter())[s[1] if s else m["why"]] += 1
    return scores


def table_scores(text: str) -> tuple[list[str], dict[str, dict[str, Counter[str]]]]:
    """A parity table's columns and, per subject and column, each score's count ("5 x10" is 5 ten times)."""
    columns: list[str] = []
    rows: dict[str, dict[str, Counter[str]]] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or set(cells[0]) <= {"-", " "}:
            continue
        if cells[0] == "subject":
            columns = cells[1:]
            continue
        rows[cells[0]] = {}
        for column, text in zip(columns, cells[1:], strict=True):
            counts: Counter[str] = Counter()
            for m in re.finditer(r"(\d+(?:\.\d+)?)(?: x(\d+))?", text.split("(")[0]):
                counts[m[1]] += int(m[2] or 1)
            rows[cells[0]][column] = counts
    return columns, rows


def cell(counts: Counter[str] | None) -> str:
    """As bench/parity.py's cells: scores in numeric order ("8 x2 10 x8"), then any other verdict."""
    if not counts:
        return "-"

    def order(item: tuple[str, int]) -> tuple[bool, float, str]:
        number = re.fullmatch(r"\d+(?:\.\d+)?", item[0]) is not None
        return not number, float(item[0]) if number else 0.0, item[0]

    return " ".join(f"{s} x{n}" if n > 1 or len(counts) > 1 else s for s, n in sorted(counts.items(), key=order))


def main(argv: list[str]) -> int:
    if len(argv) < 2 or any("=" not in a for a in argv[1:]):
        print(__doc__, file=sys.stderr)
        return 2
    columns, rows = table_scores(Path(argv[0]).read_text())
    for arg in argv[1:]:
        name, log = arg.split("=", 1)
        if name not in columns:
            columns.append(name)
        for label, counts in log_scores(Path(log).read_text()).items():
            rows.setdefault(label, {})[name] = counts
    print("| subject | " + " | ".join(columns) + " | one score |")
    print("| --- " * (len(columns) + 2) + "|")
    differing = 0
    for label, per in rows.items():
        same = len({s for counts in per.values() for s in counts}) == 1 and all(per.get(c) for c in columns)
        differing += not same
        print(f"| {label} | " + " | ".join(cell(per.get(c)) for c in columns) + f" | {'yes' if same else 'NO'} |")
    runs = sum(sum(c.values()) for per in rows.values() for c in per.values())
    print(f"\n{len(rows)} subjects, {runs} runs; {len(rows) - differing} with one score everywhere, {differing} not")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
