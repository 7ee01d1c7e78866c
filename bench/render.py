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


def _naive_row(base: dict[str, Any], size: int) -> str:
    return (f"| naive baseline | none | 1 | {base['seconds']} | {round(size / base['seconds'] * 60, 1)} | "
            f"{base['wrong_verdicts']} ({base['passed_but_wrong']} wrong ones passed, "
            f"{base['failed_but_correct']} correct ones failed) | – |")


def _class_text(cls: dict[str, Any]) -> str:
    return (f"{cls['size']} submissions: {cls['correct']} correct (the reference and the known-good variants), "
            f"{cls['known_bad']} known-bad variants, {cls['hang']} that hang")


def versus(sec: dict[str, Any]) -> list[str]:
    out = ["## The naive script against the grader, side by side", "",
           "Each class is graded by `bench/naive_baseline.py` (start, sleep 1 s, two clients, kill, sleep 1 s; "
           "unsandboxed) and then by `grader grade` at its default `--jobs` on each backend, in the same run. "
           "A verdict is wrong when a correct submission does not get full marks or a wrong one does. "
           "CPU: the grader's process tree, plus (Docker) every container of the engine meanwhile, an upper "
           "bound when other sessions use Docker too. Machine CPU: every core's busy time meanwhile (/proc/stat), "
           "which adds what no child of the grader's accounts for, such as the container engine's daemons and "
           "the per-container fuse-overlayfs; it is the truth only on an otherwise idle machine (see load). "
           "The CPU floor is the grader's CPU time over the "
           f"{sec['cores']} cores: no schedule of these checks on this machine can be faster. Load: the 1-minute "
           "load average before and after each command.", "",
           "| class | who | backend | jobs | time (s) | naive / this | wrong verdicts | CPU (s) | machine CPU (s) "
           "| CPU / submission (s) | CPU floor (s) | load |",
           "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for row in sec["sizes"]:
        size, base = row["class"]["size"], row["naive"]
        out.append(f"| {size} | naive script | none | 1 | {base['seconds']} | 1 | {base['wrong_verdicts']} "
                   f"({base['passed_but_wrong']} wrong passed, {base['failed_but_correct']} correct failed) | "
                   f"{base['cpu_s']} | {base.get('machine_cpu_s', '–')} | {round(base['cpu_s'] / size, 3)} | – | "
                   f"{base['load_before']} → {base['load_after']} |")
        for g in row["grader"]:
            cpu = round(g["cpu_s"] + (g["docker_cpu_s"] or 0), 1)
            out.append(f"| {size} | `grader grade` | {g['backend']} | {g['jobs']} | {g['seconds']} | "
                       f"**{g['ratio']:.2f}×** | {g['wrong_verdicts']} | {cpu} | {g.get('machine_cpu_s', '–')} | "
                       f"{g['cpu_per_submission_s']} | "
                       f"{g['cpu_floor_s']} | {g['load_before']} → {g['load_after']} |")
    for row in sec["sizes"]:
        out += ["", f"Class of {row['class']['size']}: {_class_text(row['class'])}."]
    return out + ["", _when(sec)]


PHASES = (("sandbox_setup", "sandbox set-up (Docker: create + start)"),
          ("runner_start", "runner start (interpreter, imports; local: its namespaces and copy too)"),
          ("check_setup", "check set-up (fresh namespace and copy, until the program is started)"),
          ("program_start", "program start and readiness (launcher, interpreter, listening seen)"),
          ("probes", "probes (their traffic and necessary waits; a hang: the waits it runs out)"),
          ("stop", "after the last probe event (waiting out a timeout; stopping the program)"),
          ("result_writing", "result writing (local: back in the orchestrator; Docker: logs, parse, remove)"),
          ("other", "other (pytest collection, between checks)"),
          ("total", "total"))


def phases(sec: dict[str, Any]) -> list[str]:
    rows = sec["rows"]
    out = ["## Where one submission's time goes", "",
           "One submission graded through the backend in-process, with every check's transcript "
           "(`bench/phases.py`): " + "; ".join(f"{k}: {v}" for k, v in sec["subjects"].items()) +
           ". Seconds, summed over the checks.", "",
           "| phase | " + " | ".join(rows) + " |", "| --- |" + " ---: |" * len(rows)]
    for key, label in PHASES:
        out.append(f"| {label} | " + " | ".join(f"{r[key]:.2f}" for r in rows.values()) + " |")
    out.append("| CPU time (s; local: the runner's tree, Docker: the container's cgroup) | "
               + " | ".join(f"{r.get('cpu_s', 0):.2f}" for r in rows.values()) + " |")
    out.append("| score | " + " | ".join(f"{r['score']:g} / {r['max_score']:g}" for r in rows.values()) + " |")
    floor = sec["latency_floor_s"]
    out += ["", "Latency floor of one correct submission (its probes' own waits plus one program start per check "
            "at the fastest seen): " + ", ".join(f"{b} {v:.2f} s" for b, v in floor.items()) + "."]
    return out + ["", _when(sec)]


def batch(sec: dict[str, Any], naive: dict[str, Any] | None) -> list[str]:
    cls = sec["class"]
    out = ["## Batch: the generated tcp_echo class at each --jobs", "",
           f"{_class_text(cls)}. CPU as in the side-by-side table.", "",
           "| grader | backend | jobs | time (s) | submissions / min | wrong verdicts | CPU (s) | load "
           "| orchestrator peak RSS (MiB) |",
           "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |"]
    if naive:
        out.append(_naive_row(naive, cls["size"]).replace(" | – |", " | – | – | – |"))
    for r in sec["runs"]:
        cpu = round(r.get("cpu_s", 0) + (r.get("docker_cpu_s") or 0), 1) if "cpu_s" in r else "–"
        load = f"{r['load_before']} → {r['load_after']}" if "load_before" in r else "–"
        out.append(f"| `grader grade` | {r['backend']} | {r['jobs']} | {r['seconds']} | {r['per_minute']} | "
                   f"{r['wrong_verdicts']} | {cpu} | {load} | {r['peak_rss_mib']} |")
    if naive and sec["runs"]:
        best = min(sec["runs"], key=lambda r: r["seconds"])
        out += ["", f"Fastest grader run ({best['backend']}, {best['jobs']} jobs): "
                f"{naive['seconds'] / best['seconds']:.2f}× the naive script's speed (same class size, from the "
                "side-by-side section)."]
    return out + ["", _when(sec)]


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


def _naive_for(results: dict[str, Any], size: int) -> dict[str, Any] | None:
    for row in results.get("versus", {}).get("sizes", []):
        if row["class"]["size"] == size:
            return row["naive"]  # type: ignore[no-any-return]
    return None


def markdown(results: dict[str, Any]) -> str:
    out = ["# Benchmark results", "", "Written by `.venv/bin/python bench/run.py`; the raw numbers are in `results.json`.", ""]
    if "checks" in results:
        out += checks(results["checks"]) + [""]
    if "versus" in results:
        out += versus(results["versus"]) + [""]
    if "phases" in results:
        out += phases(results["phases"]) + [""]
    if "batch" in results:
        out += batch(results["batch"], _naive_for(results, results["batch"]["class"]["size"])) + [""]
    if "scale" in results:
        out += scale(results["scale"]) + [""]
    return "\n".join(out)
