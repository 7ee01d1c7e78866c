"""grader.backends.docker_batch without an engine: which spare a run gets, and that every one is disposed."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.backends.docker_batch import SPARE_MAX_AGE, Sandbox, Spares, stage


@dataclass(frozen=True)
class Print:
    key: str


class Engine:
    """Counts what was made and what was disposed, as the Docker backend's prepare and dispose would."""

    def __init__(self) -> None:
        self.epoch = 0
        self.made: list[Sandbox] = []
        self.disposed: list[str] = []
        self.lock = threading.Lock()

    def prepare(self, blueprint: Print, staging: Path) -> Sandbox | None:
        assert staging.is_dir() and not any(staging.iterdir())  # a spare holds nothing of anyone
        with self.lock:
            sandbox = Sandbox(id=f"{blueprint.key}-{len(self.made)}", nonce="n", epoch=self.epoch,
                              created=time.monotonic(), staging=staging)
            self.made.append(sandbox)
        return sandbox

    def dispose(self, sandbox: Sandbox) -> None:
        with self.lock:
            self.disposed.append(sandbox.id)


def ready(spares: Spares[Print], count: int = 1) -> None:
    deadline = time.monotonic() + 10
    while spares.waiting() < count:
        assert time.monotonic() < deadline, "no spare made"
        time.sleep(0.005)


@pytest.fixture
def engine() -> Engine:
    return Engine()


def make(engine: Engine, tmp_path: Path) -> Spares[Print]:
    return Spares(engine.prepare, engine.dispose, tmp_path, lambda: engine.epoch)


def test_a_take_makes_the_next_one_and_close_disposes_it(engine: Engine, tmp_path: Path) -> None:
    spares = make(engine, tmp_path)
    assert spares.take(Print("a")) is None  # nothing made ahead yet: the run makes its own
    ready(spares)
    taken = spares.take(Print("a"))
    assert taken is not None and taken.id == "a-0"
    assert spares.take(Print("b")) is None  # another blueprint never gets a's spare
    ready(spares, 2)
    spares.close()
    assert sorted(engine.disposed) == ["a-1", "b-2"]  # the taken one is its run's to dispose
    assert spares.take(Print("a")) is None and len(engine.made) == 3  # closed: nothing more is made


def test_a_spare_from_before_an_interruption_is_disposed_not_used(engine: Engine, tmp_path: Path) -> None:
    spares = make(engine, tmp_path)
    spares.take(Print("a"))
    ready(spares)
    engine.epoch += 1
    assert spares.take(Print("a")) is None and engine.disposed == ["a-0"]
    spares.close()


def test_a_spare_too_old_for_its_deadline_label_is_disposed(engine: Engine, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    spares = make(engine, tmp_path)
    spares.take(Print("a"))
    ready(spares)
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now + SPARE_MAX_AGE + 1)
    assert spares.take(Print("a")) is None and engine.disposed == ["a-0"]
    monkeypatch.undo()
    spares.close()


def test_a_failed_preparation_only_means_no_spare(engine: Engine, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    def broken(blueprint: Print, staging: Path) -> Sandbox | None:
        from grader.errors import InfrastructureError

        raise InfrastructureError("engine said no")

    spares: Spares[Print] = Spares(broken, engine.dispose, tmp_path, lambda: 0)
    assert spares.take(Print("a")) is None
    spares.close()  # waits for the attempt
    assert "engine said no" in capsys.readouterr().err and spares.take(Print("a")) is None


def test_staging_copies_the_submission_as_it_is(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    (src / "main.py").write_text("print(1)\n")
    (src / "pkg" / "util.py").write_text("x = 1\n")
    (src / "main.py").chmod(0o600)
    staging = tmp_path / "staging"
    staging.mkdir()
    stage(src, staging)
    assert [p.name for p in staging.iterdir()] == ["submission"]  # renamed whole: what the runner waits for
    copy = staging / "submission"
    assert sorted(p.relative_to(copy).as_posix() for p in copy.rglob("*")) == ["main.py", "pkg", "pkg/util.py"]
    assert (copy / "main.py").stat().st_mode & 0o777 == 0o600
