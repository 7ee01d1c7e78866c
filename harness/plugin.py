"""The pytest plugin a lab's checks run under (loaded by harness.runner).

For check authors:
  * a check is a function `test_<check>(lab)` in assignments/<lab>/checks.py;
  * `@pytest.mark.points(N)` (required), `@pytest.mark.hidden` (graded, not
    shown to students before grades are published), `@pytest.mark.budget(S)`
    (seconds the check may take at most: a safety net, the harness's own
    deadlines fail a hanging program well before it);
  * the `lab` fixture (harness.session.LabSession) starts the student's program,
    connects to it, runs fake servers and keeps the transcript;
  * raise harness.outcomes.CheckFailed (or use `assert`) with a message that
    says what was sent, what was expected and what came back.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness import netns, schema, scratch
from harness.labspec import LabSpec
from harness.launch import Containment
from harness.never_ready import Proofs
from harness.outcomes import ProgramCrashed, outcome_of
from harness.schema import CheckResult
from harness.session import LabSession

DEFAULT_BUDGET = 20.0


@dataclass(slots=True)
class RunContext:
    spec: LabSpec
    submission: Path
    out_dir: Path
    containment: Containment
    isolated: bool
    hosts_redirected: bool = True
    include_hidden: bool = False
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    only: set[str] | None = None
    compile_error: str | None = None
    explain: bool = False
    progress: Any = None  # a writable text stream for progress events, or None
    results: list[CheckResult] = field(default_factory=list)
    source: Path | None = None  # the submission as handed in: every check gets a fresh copy of it
    proofs: Proofs = field(default_factory=Proofs)  # a start that never gets ready, proved once (fail fast)


_CONTEXT = pytest.StashKey[RunContext]()


class RunContextPlugin:
    """Hands the runner's RunContext to this plugin's hooks: harness.runner registers one
    (pytest.main(plugins=[...])), and every hook reads it from the pytest config's stash."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[_CONTEXT] = self.ctx


def _ctx(config: pytest.Config) -> RunContext:
    try:
        return config.stash[_CONTEXT]
    except KeyError:
        raise RuntimeError("harness.plugin used outside harness.runner") from None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "points(n): points the check is worth")
    config.addinivalue_line("markers", "hidden: graded, not shown to students before publication")
    config.addinivalue_line("markers", "budget(seconds): the most time the check may take")


def check_name(item: pytest.Item) -> str:
    name = getattr(item, "originalname", None) or item.name
    return name.removeprefix("test_")


def check_meta(item: pytest.Item, ctx: RunContext) -> dict[str, Any]:
    points = item.get_closest_marker("points")
    if points is None:
        raise pytest.UsageError(f"check {item.nodeid} has no @pytest.mark.points(N)")
    budget = item.get_closest_marker("budget")
    meta = {
        "points": float(points.args[0]),
        "hidden": item.get_closest_marker("hidden") is not None,
        "budget": float(budget.args[0]) if budget else DEFAULT_BUDGET,
    }
    meta.update(ctx.overrides.get(check_name(item), {}))
    return meta


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    ctx = _ctx(config)
    keep = []
    for item in items:
        meta = check_meta(item, ctx)
        if meta["hidden"] and not ctx.include_hidden:
            continue
        if ctx.only is not None and check_name(item) not in ctx.only:
            continue
        item.stash[_META] = meta
        # The safety net times the check's own function only (func_only): fixtures and pytest's
        # reporting have deadlines of their own (harness.session, harness.launch). Timing them too
        # let the alarm fire inside pytest's report making (repr_failure) on a starved machine,
        # beside a fork bomb: an INTERNALERROR that ended the run, every later check an `error`.
        item.add_marker(pytest.mark.timeout(meta["budget"] + 5, method="signal", func_only=True))
        keep.append(item)
    items[:] = keep


_META = pytest.StashKey[dict[str, Any]]()
_REPORT = pytest.StashKey[dict[str, Any]]()


@pytest.fixture
def lab(request: pytest.FixtureRequest) -> Iterator[LabSession]:
    ctx = _ctx(request.config)
    session = LabSession(ctx.spec, submission=ctx.submission, out_dir=ctx.out_dir,
                         containment=ctx.containment, isolated=ctx.isolated, proofs=ctx.proofs,
                         check=check_name(request.node))
    session.hosts_redirected = ctx.hosts_redirected
    request.node.stash[_LAB] = session
    try:
        session.begin()  # a shared network namespace: the lab's port must be clean first
        yield session
    finally:
        session.teardown()


_LAB = pytest.StashKey[LabSession]()


def pytest_runtest_setup(item: pytest.Item) -> None:
    ctx = _ctx(item.config)
    item.stash[_REPORT] = {"start": time.monotonic(), "exc": None, "phase": None}
    emit(ctx, {"event": "start", "check": check_name(item)})
    if ctx.isolated:
        netns.fresh_network()  # no socket state of an earlier check can reach this one
    if ctx.source is not None and ctx.results:  # no file state either (the first check has a fresh copy)
        scratch.fresh_copy(ctx.submission, ctx.source, ctx.containment)
    if ctx.compile_error is not None:
        raise ProgramCrashed(
            f"The program did not start: {ctx.spec.file} has a syntax error (see the check 'compiles').")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    yield
    state = item.stash.get(_REPORT, None)
    if state is None:
        return
    if call.excinfo is not None and state["exc"] is None and not call.excinfo.errisinstance(pytest.skip.Exception):
        state["exc"] = call.excinfo.value
        state["phase"] = call.when
        state["excinfo"] = call.excinfo  # rendered only for an `error` (_short_tb): costly on a starved machine
    if call.when == "teardown":
        ctx = _ctx(item.config)
        result = _result(item, state, ctx.explain)
        ctx.results.append(result)
        emit_done(ctx, result)


def emit(ctx: RunContext, event: dict[str, Any]) -> None:
    """One progress line for the orchestrator (it shows checks as they run)."""
    if ctx.progress is not None:
        ctx.progress.write(schema.progress_line(event))
        ctx.progress.flush()


def emit_done(ctx: RunContext, result: CheckResult) -> None:
    emit(ctx, {"event": "done", "check": result.name, "outcome": result.outcome, "score": result.score,
               "max_score": result.max_score, "duration": result.duration})


def _result(item: pytest.Item, state: dict[str, Any], explain: bool) -> CheckResult:
    meta = item.stash[_META]
    exc = state["exc"]
    outcome = outcome_of(exc)
    if exc is not None and outcome != "error" and state["phase"] == "teardown":
        outcome = "error"
    lab = item.stash.get(_LAB, None)
    doc = (getattr(item, "function", None).__doc__ or "").strip() if hasattr(item, "function") else ""
    summary = " ".join(doc.split("\n\n")[0].split())
    parts = [summary] if summary else []
    if outcome != "passed" or explain:
        if outcome == "error":
            parts.append("The grader itself ran into trouble here (not your fault); this check will be retried.\n"
                         f"{type(exc).__name__}: {exc}\n{_short_tb(state)}")
        elif outcome != "passed":
            parts.append(str(exc).strip() or type(exc).__name__)
        if lab is not None:
            parts.extend(lab.early_exits)
            if lab.transcript.events:
                parts.append("What happened:\n" + lab.transcript.render())
            hint = lab.hint or lab.spec.try_by_hand
            if hint:
                parts.append("Try it yourself:\n" + "\n".join("  " + line for line in hint.strip().splitlines()))
    if lab is not None:  # an OOM kill or output past the cap is news whatever the outcome: next to the verdict
        notes = lab.program_notes()
        at = min(len(parts), 2 if summary else 1)
        parts[at:at] = notes
    points = meta["points"]
    return CheckResult(name=check_name(item), score=points if outcome == "passed" else 0.0, max_score=points,
                       outcome=outcome, output="\n\n".join(parts),
                       visibility="after_published" if meta["hidden"] else "visible",
                       duration=round(time.monotonic() - state["start"], 3))


def _short_tb(state: dict[str, Any]) -> str:
    excinfo = state.get("excinfo")
    text = str(excinfo.getrepr(style="short", chain=False)) if excinfo is not None else ""
    return "\n".join(text.splitlines()[-12:])
