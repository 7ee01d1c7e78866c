"""What a batch adds to the Docker sandbox: the next container made and started while one runs.

Rule: a spare holds nothing of any submission. It is created and started with an empty staging
folder of its own bound read-only at /incoming, where its runner, imports done, waits for
/incoming/submission (harness.docker_entry); `Spares.take` hands it to exactly one run, which
copies its submission in and renames the complete copy to that name (`stage`). So each container
still serves one submission, and what differs from a container made on the spot is only when
`docker create`, `docker start` and the runner's imports happened. (Measured 2026-12-02, idle
2-core machine: create 0.02 s, start 0.20 s, the runner's interpreter and imports 0.2 s.)

Spares are made by the backend's own `prepare`, so they carry the same labels as every sandbox and
join the live set that SIGINT/SIGTERM and the atexit hook kill; `close` waits for the one in the
making and removes those still waiting: none outlives the batch. (Finished containers are removed
on the run's own thread: 0.01 s each, measured, is not worth a remover thread.)
"""

from __future__ import annotations

import dataclasses
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from grader.errors import InfrastructureError

SPARE_MAX_AGE = 60.0  # seconds a spare may wait; its deadline label allows for it (sweeps stay safe)
INCOMING = "/incoming"  # where a spare's staging folder is bound (read-only)
STAGED = f"{INCOMING}/submission"  # what its runner waits for, then grades


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Sandbox:
    """One created container (a spare is already started, waiting), and what its run needs to know of it."""

    id: str
    nonce: str  # frames the results document (grader.backends.docker.extract_document)
    epoch: int  # the interruption epoch it was made in: a later one means it was killed
    created: float  # time.monotonic()
    staging: Path | None = None  # bound at INCOMING, ours to fill (a spare); None: the submission itself


class Keyed(Protocol):
    @property
    def key(self) -> str: ...


B = TypeVar("B", bound=Keyed)
Prepare = Callable[[B, Path], "Sandbox | None"]  # (blueprint, empty staging folder) -> a sandbox, None if interrupted


class Spares(Generic[B]):
    """At most one spare per blueprint key, made on a thread of its own after each take."""

    def __init__(self, prepare: Prepare[B], dispose: Callable[[Sandbox], None], root: Path,
                 current_epoch: Callable[[], int]) -> None:
        self._prepare, self._dispose, self._root, self._epoch = prepare, dispose, root, current_epoch
        self._lock = threading.Lock()
        self._ready: dict[str, Sandbox] = {}
        self._making: set[str] = set()
        self._closed = False
        self._maker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="docker-spare")

    def take(self, blueprint: B) -> Sandbox | None:
        """The spare made for this blueprint (then a replacement is started), or None: make one yourself."""
        with self._lock:
            if self._closed:
                return None
            spare = self._ready.pop(blueprint.key, None)
            if blueprint.key not in self._making:
                self._making.add(blueprint.key)
                self._maker.submit(self._make, blueprint)
        if spare is not None and (spare.epoch != self._epoch() or time.monotonic() - spare.created > SPARE_MAX_AGE):
            self._dispose(spare)  # killed by an interruption, or too old for its deadline label
            return None
        return spare

    def waiting(self) -> int:
        """How many spares are ready now."""
        with self._lock:
            return len(self._ready)

    def _make(self, blueprint: B) -> None:
        spare = None
        try:
            spare = self._prepare(blueprint, Path(tempfile.mkdtemp(prefix="spare-", dir=self._root)))
        except (InfrastructureError, OSError, ValueError) as exc:  # the run that takes none makes its own
            print(f"warning: could not prepare a sandbox ahead ({exc})", file=sys.stderr)
        with self._lock:
            self._making.discard(blueprint.key)
            if spare is not None and not self._closed and blueprint.key not in self._ready:
                self._ready[blueprint.key] = spare
                spare = None
        if spare is not None:
            self._dispose(spare)

    def close(self) -> None:
        """Stop making spares and remove those still waiting."""
        with self._lock:
            self._closed = True
        self._maker.shutdown(wait=True)  # one in the making ends up disposed by _make itself
        with self._lock:
            left, self._ready = list(self._ready.values()), {}
        for spare in left:
            self._dispose(spare)


def stage(submission: Path, staging: Path) -> None:
    """Copy a submission into a spare's staging folder, as a bind mount would show it; the runner waiting
    there sees it only once complete (the rename)."""
    partial = staging / "submission.partial"
    shutil.copytree(submission, partial, symlinks=True)
    partial.rename(staging / Path(STAGED).name)
