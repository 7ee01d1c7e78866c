"""The pytest plugin a lab's checks run under (loaded by harness.runner).

For check authors:
  * a check is a function `test_<check>(lab)` in assignments/<lab>/checks.py;
  * `@pytest.mark.points(N)` (required), `@pytest.mark.hidden` (graded, not
    shown to students before grades are published), `@pytest.mark.budget(S)`
    (seconds the check may take at most: a safety net, the harness's own
    deadlines fail a hanging program well before it);
  * the `lab` fixture (harness.session.Lab) starts the student's program,
    connects to it, runs fake servers and keeps the transcript;
  * raise harness.outcomes.CheckFailed (or use `assert`) with a message that
    says what was sent, what was expected and what came back.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness import netns
from harness.launch import Containment
from harness.outcomes import ProgramCrashed, outcome_of
from harness.session import Lab, LabSpec

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
    results: list[dict[str, Any]] = field(default_factory=list)


CONTEXT: RunContext | None = None


def _ctx() -> RunContext:
    if CONTEXT is None:
        raise RuntimeError("harness.plugin used outside harness.runner")
    return CONTEXT


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "points(n): points the check is worth")
    config.addinivalue_line("markers", "hidden: graded, not shown to students before publication")
    config.addinivalue_line("markers", "budget(seconds): the most time the check may take")


def check_name(item: pytest.Item) -> str:
    name = getattr(item, "originalname", None) or item.name
    return name.removeprefix("test_")


def check_meta(item: pytest.Item) -> dict[str, Any]:
    ctx = _ctx()
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
    ctx = _ctx()
    keep = []
    for item in items:
        meta = check_meta(item)
        if meta["hidden"] and not ctx.include_hidden:
            continue
        if ctx.only is not None and check_name(item) not in ctx.only:
            continue
        item.stash[_META] = meta
        item.add_marker(pytest.mark.timeout(meta["budget"] + 5, method="signal"))
        keep.append(item)
    items[:] = keep


_META = pytest.StashKey[dict]()
_REPORT = pytest.StashKey[dict]()


@pytest.fixture
def lab(request: pytest.FixtureRequest) -> Iterator[Lab]:
    ctx = _ctx()
    session = Lab(ctx.spec, submission=ctx.submission, out_dir=ctx.out_dir,
                  containment=ctx.containment, isolated=ctx.isolated)
    session.hosts_redirected = ctx.hosts_redirected
    request.node.stash[_LAB] = session
    try:
        yield session
    finally:
        session.teardown()


_LAB = pytest.StashKey[Lab]()


def pytest_runtest_setup(item: pytest.Item) -> None:
    ctx = _ctx()
    item.stash[_REPORT] = {"start": time.monotonic(), "exc": None, "phase": None}
    emit({"event": "start", "check": check_name(item)})
    if ctx.isolated:
        netns.fresh_network()  # no socket state of an earlier check can reach this one
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
        state["tb"] = call.excinfo.getrepr(style="short", chain=False)
    if call.when == "teardown":
        result = _result(item, state)
        _ctx().results.append(result)
        emit({"event": "done", "check": result["name"], "outcome": result["extra_data"]["outcome"],
              "score": result["score"], "max_score": result["max_score"],
              "duration": result["extra_data"]["duration"]})


PROGRESS_PREFIX = "@@grader-progress "


def emit(event: dict[str, Any]) -> None:
    """One progress line for the orchestrator (it shows checks as they run)."""
    stream = _ctx().progress
    if stream is not None:
        stream.write(PROGRESS_PREFIX + json.dumps(event) + "\n")
        stream.flush()


def _result(item: pytest.Item, state: dict[str, Any]) -> dict[str, Any]:
    meta = item.stash[_META]
    exc = state["exc"]
    outcome = outcome_of(exc)
    if exc is not None and outcome != "error" and state["phase"] == "teardown":
        outcome = "error"
    lab = item.stash.get(_LAB, None)
    doc = (getattr(item, "function", None).__doc__ or "").strip() if hasattr(item, "function") else ""
    summary = " ".join(doc.split("\n\n")[0].split())
    parts = [summary] if summary else []
    if outcome != "passed" or _ctx().explain:
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
    points = meta["points"]
    return {
        "name": check_name(item),
        "score": points if outcome == "passed" else 0.0,
        "max_score": points,
        "status": "passed" if outcome == "passed" else "failed",
        "output": "\n\n".join(parts),
        "visibility": "after_published" if meta["hidden"] else "visible",
        "extra_data": {"outcome": outcome, "duration": round(time.monotonic() - state["start"], 3)},
    }


def _short_tb(state: dict[str, Any]) -> str:
    text = str(state.get("tb", ""))
    return "\n".join(text.splitlines()[-12:])


def format_exception(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()
