"""bench/run.py's results.json as Markdown tables."""

from __future__ import annotations

from typing import Any


def _when(section: dict[str, Any], what: str = "") -> str:
    m = section["machine"]
    return (f"_{what}{section['date']}, {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB, Linux {m['kernel']}, "
            f"Python {m['python']}, Docker {m['docker']}, commit {m['commit']}; `{section['command']}`; "
            f"the section took {section['took_s']} s._")


def _s(row: dict[str, Any] | None) -> str:
    if row is None:
        return "–"
    mark = "" if row["all_passed"] else " ✗"
    return f"{row['median_s']:.2f}{mark}"


def checks(sec: dict[str, Any]) -> list[str]:
    backends = sec["backends"]
    out = ["## `grader check` on each reference", "",
           f"Median wall time of {sec['runs']} runs, in seconds. The floor is the same checks run by the harness "
           "directly: no namespace, no containment, no CLI (every check still starts its own copy of the "
           "program, as the checks require). ✗: not every run passed (the floor has no private namespace, "
           "so checks that need one cannot pass there; its time still counts). The floor can be slower than the "
           "local sandbox: outside a namespace of its own every read of /proc/net/tcp, which the harness polls, "
           "walks the machine's whole TCP hash table (see harness/netns.py).", "",
           "| lab | " + " | ".join(backends) + " | floor | " + " | ".join(f"{b} / floor" for b in backends) + " |",
           "| --- |" + " ---: |" * (2 * len(backends) + 1)]
    for lab, row in sec["labs"].items():
        out.append(f"| {lab} | " + " | ".join(_s(row.get(b)) for b in backends) + f" | {_s(row['floor'])} | "
                   + " | ".join(f"{row[f'{b}_over_floor']:.2f}×" for b in backends) + " |")
    return out + ["", _when(sec)]


def batch(results: dict[str, Any]) -> list[str]:
    sec, base = results.get("batch"), results.get("baseline")
    cls = (sec or base)["class"]  # type: ignore[index]
    out = ["## Batch: a generated tcp_echo class against the naive baseline", "",
           f"{cls['size']} submissions: {cls['correct']} correct, {cls['known_bad']} known-bad variants, "
           f"{cls['hang']} that hang. A verdict is wrong when a correct submission does not get full marks or a "
           "wrong one does. The baseline is `bench/naive_baseline.py` (start, sleep 1 s, two clients, kill, "
           "sleep 1 s), run unsandboxed on the same submissions.", "",
           "| grader | backend | jobs | time (s) | submissions / min | wrong verdicts | orchestrator peak RSS (MiB) |",
           "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    if base:
        out.append(f"| naive baseline | none | 1 | {base['seconds']} | {base['per_minute']} | "
                   f"{base['wrong_verdicts']} ({base['passed_but_wrong']} wrong ones passed, "
                   f"{base['failed_but_correct']} correct ones failed) | – |")
    for r in (sec or {}).get("runs", []):
        out.append(f"| `grader grade` | {r['backend']} | {r['jobs']} | {r['seconds']} | {r['per_minute']} | "
                   f"{r['wrong_verdicts']} | {r['peak_rss_mib']} |")
    if sec and base and sec["runs"]:
        best = min(sec["runs"], key=lambda r: r["seconds"])
        out += ["", f"Fastest grader run ({best['backend']}, {best['jobs']} jobs): "
                f"{base['seconds'] / best['seconds']:.2f}× the baseline's speed, "
                f"{best['wrong_verdicts']} wrong verdicts against the baseline's {base['wrong_verdicts']}."]
    for s, what in ((sec, "Grader: "), (base, "Baseline: ")):
        if s:
            out += ["", _when(s, what)]
    return out


def scale(sec: dict[str, Any]) -> list[str]:
    out = ["## Scale: quick submissions", "",
           f"Generated correct `{sec['lab']}` submissions, {sec['backend']} sandbox, {sec['jobs']} jobs; "
           "the orchestrator's own peak resident memory (the sandboxes are separate processes).", "",
           "| submissions | time (s) | s / submission | orchestrator peak RSS (MiB) |",
           "| ---: | ---: | ---: | ---: |"]
    for r in sec["runs"]:
        out.append(f"| {r['submissions']} | {r['seconds']} | {r['per_submission_s']} | {r['peak_rss_mib']} |")
    runs = sec["runs"]
    if len(runs) >= 2:
        a, b = runs[0], runs[-1]
        out += ["", f"From {a['submissions']} to {b['submissions']} submissions "
                f"({b['submissions'] / a['submissions']:g}× as many): {b['seconds'] / a['seconds']:.2f}× the time, "
                f"{b['peak_rss_mib'] / a['peak_rss_mib']:.2f}× the peak memory."]
    return out + ["", _when(sec)]


def markdown(results: dict[str, Any]) -> str:
    out = ["# Benchmark results", "", "Written by `.venv/bin/python bench/run.py`; the raw numbers are in `results.json`.", ""]
    if "checks" in results:
        out += checks(results["checks"]) + [""]
    if "batch" in results or "baseline" in results:
        out += batch(results) + [""]
    if "scale" in results:
        out += scale(results["scale"]) + [""]
    return "\n".join(out)
