"""The course configuration, grader.yml: read, checked as a whole, then frozen.

Rule: every problem is collected before anything is graded, and each one names
the file, the key path and what was expected:

    grader.yml: labs.tcp_echo.points.echo_large: expected a number, got 'ten'

Shape (every key optional; see the repository's grader.yml for a documented example):

    backend: docker | local         jobs: N | auto         output: FOLDER
    roster: class.csv               the class list (grader.classlist) for `grader export canvas|moodle`
    broker: redis://[:PASSWORD@]HOST[:PORT][/DB] | rediss://...   (grader grade --broker, grader worker)
    limits:   {deadline: S, memory_mb: N, cpus: X, pids: N, archive_mb: N, archive_files: N}
    labs:
      LAB:
        points: {CHECK: N}          hidden: [CHECK, ...]    deadline: S
        due: 2025-10-10T23:59:00+02:00
        late_policy: {percent_per_day: P, grace_minutes: M, max_days: D}
        submission_times: lms_times.csv
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from grader.backends import BACKENDS, DEFAULT_DEADLINE
from grader.errors import ConfigError, did_you_mean
from grader.labs import Lab

CONFIG_NAME = "grader.yml"
DEFAULT_OUTPUT = "grader-results"
TOP_KEYS = ("backend", "jobs", "output", "roster", "broker", "limits", "labs")
LIMIT_KEYS = ("deadline", "memory_mb", "cpus", "pids", "archive_mb", "archive_files")
LAB_KEYS = ("points", "hidden", "deadline", "due", "late_policy", "submission_times")
LATE_KEYS = ("percent_per_day", "grace_minutes", "max_days")


@dataclass(frozen=True, slots=True, kw_only=True)
class LatePolicy:
    due: dt.datetime  # timezone-aware
    percent_per_day: float
    grace_minutes: float = 0.0
    max_days: int | None = None  # later than this: no credit

    def days_late(self, submitted: dt.datetime) -> int:
        """Whole days late, each started day counting (0 when on time or within the grace)."""
        late = (submitted - self.due).total_seconds() - self.grace_minutes * 60
        return 0 if late <= 0 else math.ceil(late / 86400)

    def penalty_percent(self, days: int) -> float:
        if self.max_days is not None and days > self.max_days:
            return 100.0
        return min(100.0, days * self.percent_per_day)


@dataclass(frozen=True, slots=True, kw_only=True)
class LabConfig:
    points: dict[str, float] = field(default_factory=dict)
    hidden: tuple[str, ...] = ()
    deadline: float | None = None
    late: LatePolicy | None = None
    submission_times: Path | None = None

    def overrides(self) -> dict[str, dict[str, Any]]:
        """RunRequest.overrides: {check: {points: N, hidden: bool}}."""
        out: dict[str, dict[str, Any]] = {name: {"points": p} for name, p in sorted(self.points.items())}
        for name in self.hidden:
            out.setdefault(name, {})["hidden"] = True
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class CourseConfig:
    path: Path | None  # None: no grader.yml, built-in defaults
    backend: str = "docker"
    jobs: int | None = None  # None: grader.batch.default_jobs
    output: Path = Path(DEFAULT_OUTPUT)
    broker: str | None = None  # None: grade on this machine
    limits: dict[str, float] = field(default_factory=dict)
    labs: dict[str, LabConfig] = field(default_factory=dict)
    offered: tuple[str, ...] | None = None  # None: every lab the grader knows
    roster: Path | None = None  # the class list CSV

    def lab(self, name: str) -> LabConfig:
        return self.labs.get(name, LabConfig())

    def deadline(self, lab: str) -> float:
        return self.lab(lab).deadline or self.limits.get("deadline") or DEFAULT_DEADLINE


def find_config(explicit: Path | None, cwd: Path | None = None) -> Path | None:
    """--config, else ./grader.yml (the course repository's root), else None."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"{explicit}: no such configuration file")
        return explicit
    candidate = (cwd or Path.cwd()) / CONFIG_NAME
    return candidate if candidate.is_file() else None


def load_config(path: Path | None, labs: dict[str, Lab]) -> CourseConfig:
    """The checked configuration; ConfigError listing every problem found."""
    if path is None:
        return CourseConfig(path=None)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path.name}: cannot read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path.name}: not valid YAML{where}: {problem}") from exc
    return _Checker(path, labs).check(data)


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if value is None:
        return "nothing"
    if isinstance(value, (list, dict)):
        return f"a {'list' if isinstance(value, list) else 'mapping'}"
    return repr(value)


class _Checker:
    def __init__(self, path: Path, labs: dict[str, Lab]) -> None:
        self.path, self.labs = path, labs
        self.problems: list[str] = []

    def bad(self, key: str, message: str) -> None:
        self.problems.append(f"{self.path.name}: {key}: {message}" if key else f"{self.path.name}: {message}")

    def mapping(self, value: Any, key: str, allowed: tuple[str, ...] | None) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.bad(key, f"expected a mapping of keys, got {_shown(value)}")
            return {}
        out = {}
        for k, v in value.items():
            if allowed is not None and k not in allowed:
                self.bad(f"{key}.{k}" if key else str(k),
                         f"unknown key{did_you_mean(str(k), allowed)}; expected one of {', '.join(allowed)}")
            else:
                out[str(k)] = v
        return out

    def number(self, value: Any, key: str, *, minimum: float = 0.0, integer: bool = False,
               positive: bool = True) -> float | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self.bad(key, f"expected {'a whole number' if integer else 'a number'}, got {_shown(value)}")
            return None
        if integer and value != int(value):
            self.bad(key, f"expected a whole number, got {value!r}")
            return None
        if value < minimum or (positive and value <= 0):
            bound = f"at least {minimum:g}" if minimum > 0 or not positive else "above 0"
            self.bad(key, f"expected a number {bound}, got {value!r}")
            return None
        return float(value)

    def check(self, data: Any) -> CourseConfig:
        top = self.mapping(data, "", TOP_KEYS)
        backend = top.get("backend", "docker")
        if backend not in BACKENDS:
            self.bad("backend", f"expected one of {', '.join(BACKENDS)}, got {_shown(backend)}")
        jobs: int | None = None
        if top.get("jobs", "auto") != "auto":
            n = self.number(top["jobs"], "jobs", minimum=1, integer=True)
            jobs = int(n) if n is not None else None
        output = top.get("output", DEFAULT_OUTPUT)
        if not isinstance(output, str) or not output.strip():
            self.bad("output", f"expected a folder name, got {_shown(output)}")
            output = DEFAULT_OUTPUT
        roster = None
        if "roster" in top:
            if not isinstance(top["roster"], str) or not top["roster"].strip():
                self.bad("roster", f"expected the path of a CSV file, got {_shown(top['roster'])}")
            elif not (roster := self.relative(top["roster"])).is_file():
                self.bad("roster", f"no such file: {roster}")
        broker = self.broker(top.get("broker"))
        limits = {}
        for k, v in self.mapping(top.get("limits"), "limits", LIMIT_KEYS).items():
            n = self.number(v, f"limits.{k}", integer=k in ("pids", "archive_files"))
            if n is not None:
                limits[k] = n
        labs: dict[str, LabConfig] = {}
        raw_labs = self.mapping(top.get("labs"), "labs", None)
        for name, value in raw_labs.items():
            if name not in self.labs:
                self.bad(f"labs.{name}", f"no such lab{did_you_mean(name, self.labs)}; "
                         f"the labs are {', '.join(self.labs)}")
                continue
            labs[name] = self.lab(self.labs[name], value or {}, f"labs.{name}")
        if self.problems:
            raise ConfigError("\n".join(self.problems))
        return CourseConfig(path=self.path, backend=backend, jobs=jobs, output=self.relative(output),
                            broker=broker, limits=limits, labs=labs,
                            offered=tuple(raw_labs) if "labs" in top else None, roster=roster)

    def broker(self, value: Any) -> str | None:
        """The broker URL (messages show it with its password hidden)."""
        from grader.scaleout.celery_app import check_url

        if value is None:
            return None
        if not isinstance(value, str):
            self.bad("broker", f"expected a URL like redis://HOST:6379/0, got {_shown(value)}")
            return None
        try:
            return check_url(value, where="broker")
        except ConfigError as exc:
            self.bad("", str(exc))
        return None

    def relative(self, text: str) -> Path:
        p = Path(text).expanduser()
        return p if p.is_absolute() else self.path.parent / p

    def lab(self, lab: Lab, value: Any, key: str) -> LabConfig:
        raw = self.mapping(value, key, LAB_KEYS)
        checks = lab.check_names()
        points: dict[str, float] = {}
        for check, p in self.mapping(raw.get("points"), f"{key}.points", None).items():
            if self.known(check, checks, f"{key}.points.{check}"):
                n = self.number(p, f"{key}.points.{check}", positive=False)
                if n is not None:
                    points[check] = n
        hidden = raw.get("hidden", [])
        if not isinstance(hidden, list) or not all(isinstance(h, str) for h in hidden):
            self.bad(f"{key}.hidden", f"expected a list of check names, got {_shown(hidden)}")
            hidden = []
        hidden = [h for h in hidden if self.known(h, checks, f"{key}.hidden")]
        deadline = self.number(raw["deadline"], f"{key}.deadline") if "deadline" in raw else None
        late = None
        if "late_policy" in raw and "due" not in raw:
            self.bad(f"{key}.late_policy", "needs a due date: add `due:` next to it")
        if "due" in raw:
            due = self.datetime(raw["due"], f"{key}.due")
            policy = self.mapping(raw.get("late_policy"), f"{key}.late_policy", LATE_KEYS)
            ppd = self.number(policy.get("percent_per_day", 100), f"{key}.late_policy.percent_per_day",
                              positive=False)
            grace = self.number(policy.get("grace_minutes", 0), f"{key}.late_policy.grace_minutes", positive=False)
            max_days = (self.number(policy["max_days"], f"{key}.late_policy.max_days", integer=True, positive=False)
                        if "max_days" in policy else None)
            if ppd is not None and ppd > 100:
                self.bad(f"{key}.late_policy.percent_per_day", f"expected a percentage up to 100, got {ppd:g}")
            if due is not None and ppd is not None and grace is not None:
                late = LatePolicy(due=due, percent_per_day=ppd, grace_minutes=grace,
                                  max_days=int(max_days) if max_days is not None else None)
        times = None
        if "submission_times" in raw:
            t = raw["submission_times"]
            if not isinstance(t, str) or not t:
                self.bad(f"{key}.submission_times", f"expected the path of a CSV file, got {_shown(t)}")
            else:
                times = self.relative(t)
                if not times.is_file():
                    self.bad(f"{key}.submission_times", f"no such file: {times}")
        return LabConfig(points=points, hidden=tuple(hidden), deadline=deadline, late=late, submission_times=times)

    def known(self, check: str, checks: list[str], key: str) -> bool:
        if check in checks:
            return True
        self.bad(key, f"no check named '{check}'{did_you_mean(check, checks)}; the lab's checks are "
                 f"{', '.join(checks)}")
        return False

    def datetime(self, value: Any, key: str) -> dt.datetime | None:
        if isinstance(value, dt.datetime):
            stamp = value
        elif isinstance(value, dt.date):
            stamp = dt.datetime.combine(value, dt.time(23, 59, 59))
        elif isinstance(value, str):
            try:
                stamp = dt.datetime.fromisoformat(value)
            except ValueError:
                self.bad(key, f"expected a date and time like 2025-10-10T23:59:00+02:00, got {value!r}")
                return None
        else:
            self.bad(key, f"expected a date and time like 2025-10-10T23:59:00+02:00, got {_shown(value)}")
            return None
        return stamp if stamp.tzinfo else stamp.astimezone()  # naive: this machine's time zone
