"""The orchestrator's side: one task per submission, replies collected as they come, each recorded once.

Rules:
  * A task's id is derived from the student's resume record (student, submission,
    checks, grader version), the output folder and the attempt number. So a rerun
    after a crash picks up the replies the last run's tasks stored meanwhile
    instead of grading again, and a task sent twice has one id and one reply.
  * A reply is recorded once: the first reply for an id is written with
    grader.batch.record_result (the local batch's own writer), then its id leaves
    the pending set and its key leaves the broker.
  * An `error` reply (sandbox trouble, a refusing worker, a worker that crashed)
    is sent again as a new attempt, at most RETRIES times; then it is recorded as
    it is: an infrastructure error, never a zero, graded again by the next run.
  * A lost broker is waited for, BROKER_WAIT seconds; once it is back, every task
    without a reply is sent again. A restart the client never saw fail (it reconnected
    between two polls) counts as lost too: Redis's run_id changes at every start, and
    it is read at every poll, so no task is waited for that the old broker took along
    (a broker without persistence lost its queue, one with persistence gets duplicates,
    which share an id). When it stays away, the run stops with one line: every reply
    received is on disk, and the same command resumes.
  * A TLS failure is not a lost broker: an untrusted certificate stays untrusted, so
    the run stops at once with one line saying how to name the CA.
"""

from __future__ import annotations

import hashlib
import json
import ssl
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader import __version__, batch
from grader.errors import ConfigError, InfrastructureError
from grader.intake import with_notes
from grader.labs import Lab
from grader.results import Report, error_report
from grader.roster import Submission
from grader.scaleout import payload
from grader.scaleout.celery_app import QUEUE, TASK, broker_errors, make_app, redact

RETRIES = 2  # extra attempts for an `error` reply
POLL = 0.2  # seconds between looks for replies
BROKER_WAIT = 60.0  # seconds a lost broker is waited for
STALL_NOTE = 60.0  # seconds without a reply before saying so
CHUNK = 500  # keys per MGET
SEND_RETRY = {"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 2.0}
READY = ("SUCCESS", "FAILURE", "REVOKED")

#: (student, report, a note for the progress line: the workers seen)
OnReply = Callable[[str, Report, str], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Pending:
    sub: Submission
    record: dict[str, str]
    attempt: int = 0
    why: tuple[str, ...] = ()  # the errors of the earlier attempts


def task_id(record: dict[str, str], out: Path, attempt: int) -> str:
    key = json.dumps([record, str(out.resolve())], sort_keys=True).encode()
    return f"grade-{hashlib.sha256(key).hexdigest()[:32]}-{attempt}"


class BrokerRestarted(Exception):
    """The broker answers, but it is another run of it than before: its queue and stored replies may be gone."""


class Dispatcher:
    def __init__(self, lab: Lab, out: Path, broker: str, *, overrides: dict[str, dict[str, Any]],
                 deadline: float, lab_hash: str, on_reply: OnReply) -> None:
        self.lab, self.out, self.broker = lab, out, broker
        self.overrides, self.deadline, self.lab_hash, self.on_reply = overrides, deadline, lab_hash, on_reply
        self.app = make_app(broker)
        self.backend = self.app.backend
        self.pending: dict[str, Pending] = {}
        self.results: dict[str, Report] = {}
        self.workers: set[str] = set()
        self.last_reply = time.monotonic()
        self.run_id: str | None = None

    def run(self, todo: list[tuple[Submission, dict[str, str]]]) -> dict[str, Report]:
        self.pending = {task_id(record, self.out, 0): Pending(sub=sub, record=record) for sub, record in todo}
        lost: tuple[type[BaseException], ...] = (BrokerRestarted, *broker_errors())
        while True:
            try:
                self.run_id = self._broker_run_id()
                self._send_missing()
                self._collect()
                return self.results
            except lost as exc:
                refuse_tls(exc, self.broker, ever_connected=self.run_id is not None)
                self._await_broker(exc)

    # -- sending

    def _send_missing(self) -> None:
        """Send every pending task that has no reply stored yet (all of them, on a first run)."""
        stored = self._replies(list(self.pending))
        for tid, p in list(self.pending.items()):
            if tid not in stored:
                self._send(tid, p)

    def _send(self, tid: str, p: Pending) -> None:
        try:
            zip_b64 = payload.encode(payload.pack(p.sub.folder))
        except payload.BadTask as exc:  # too big to travel: an infrastructure error, as a full sandbox would be
            self._record(tid, error_report(self.lab.name, str(exc)), "orchestrator")
            return
        task = payload.Task(lab=self.lab.name, student=p.sub.student, grader_version=__version__,
                            checks_sha256=self.lab_hash, submission_sha256=p.record["submission_sha256"],
                            overrides=self.overrides, deadline=self.deadline, zip_b64=zip_b64)
        self.app.send_task(TASK, args=[task.to_json()], task_id=tid, queue=QUEUE, retry=True,
                           retry_policy=SEND_RETRY)

    # -- collecting

    def _collect(self) -> None:
        while self.pending:
            if self._broker_run_id() != self.run_id:
                raise BrokerRestarted("it restarted: its run_id changed")
            got = self._replies(list(self.pending))
            for tid, meta in got.items():
                self._take(tid, meta)
            if got:
                self.last_reply = time.monotonic()
            else:
                self._note_stall()
                time.sleep(POLL)  # poll: replies land in the broker, nothing to block on across many keys

    def _broker_run_id(self) -> str:
        return str(self.backend.client.info("server").get("run_id", ""))

    def _replies(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """{task id: result meta} for the ids whose task finished."""
        found = {}
        client = self.backend.client
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            values = client.mget([self.backend.get_key_for_task(t) for t in chunk])
            for tid, value in zip(chunk, values, strict=True):
                if value is not None:
                    meta = self.backend.decode(value)
                    if isinstance(meta, dict) and meta.get("status") in READY:
                        found[tid] = meta
        return found

    def _take(self, tid: str, meta: dict[str, Any]) -> None:
        p = self.pending[tid]
        if meta["status"] == "SUCCESS":
            report, worker = payload.read_reply(meta.get("result"), self.lab.name)
        else:
            result = meta.get("result")
            exc = result if isinstance(result, dict) else {}
            worker = "?"
            report = error_report(self.lab.name, f"the task {meta['status'].lower()} on its worker: "
                                  f"{exc.get('exc_type', '?')}: {str(exc.get('exc_message', ''))[:500]}")
        self.workers.add(worker)
        if report.has_error and p.attempt < RETRIES:
            again = Pending(sub=p.sub, record=p.record, attempt=p.attempt + 1, why=(*p.why, _last_line(report)))
            new = task_id(p.record, self.out, again.attempt)
            self.pending[new] = again
            del self.pending[tid]
            self.backend.client.delete(self.backend.get_key_for_task(tid))
            self._send(new, again)
            return
        if report.has_error and p.why:  # one line per attempt; the last one is what the summary shows
            report = error_report(self.lab.name, "\n".join(
                f"attempt {n}: {why}" for n, why in enumerate((*p.why, _last_line(report)), start=1)))
        self._record(tid, report, worker)
        self.backend.client.delete(self.backend.get_key_for_task(tid))

    def _record(self, tid: str, report: Report, worker: str) -> None:
        p = self.pending.pop(tid)
        report = with_notes(report, p.sub.notes)  # what intake left out, as a local batch says it
        batch.record_result(self.out, p.sub.student, report, p.record)
        self.results[p.sub.student] = report
        seen = {w for w in self.workers if w not in ("?", "orchestrator")}
        self.on_reply(p.sub.student, report, f"{len(seen)} worker(s) seen")

    # -- trouble

    def _note_stall(self) -> None:
        quiet = time.monotonic() - self.last_reply
        if quiet >= STALL_NOTE:
            print(f"  no reply for {quiet:.0f} s, {len(self.pending)} task(s) waiting: is a `grader worker "
                  f"--broker {redact(self.broker)}` running?", file=sys.stderr, flush=True)
            self.last_reply = time.monotonic()

    def _await_broker(self, exc: BaseException) -> None:
        print(f"  lost the broker {redact(self.broker)} ({type(exc).__name__}: {exc}); waiting up to "
              f"{BROKER_WAIT:g} s for it", file=sys.stderr, flush=True)
        give_up = time.monotonic() + BROKER_WAIT
        while time.monotonic() < give_up:
            try:
                self.backend.client.ping()
            except broker_errors():
                time.sleep(0.5)  # poll: the broker restarts on its own time
                continue
            print(f"  the broker is back: sending the {len(self.pending)} task(s) without a reply again",
                  file=sys.stderr, flush=True)
            return
        raise InfrastructureError(
            f"lost the broker {redact(self.broker)} ({exc}) for {BROKER_WAIT:g} s; the {len(self.results)} "
            f"result(s) received are saved in {self.out}; rerun the same command to grade the rest") from exc


def refuse_tls(exc: BaseException, broker: str, *, ever_connected: bool) -> None:
    """Raise ConfigError at once for a TLS failure that waiting would not mend: a certificate this
    side does not trust, or, before the first contact, any TLS error (e.g. a plain-text port).
    Later TLS errors may be a restart's torn connections, and are waited out as a lost broker."""
    cause: BaseException | None = exc
    for _ in range(8):  # the chain is short (redis wraps ssl's error once); a cycle must not hang
        if cause is None or isinstance(cause, ssl.SSLError):
            break
        cause = cause.__cause__ or cause.__context__
    if not isinstance(cause, ssl.SSLCertVerificationError if ever_connected else ssl.SSLError):
        return
    raise ConfigError(f"the broker {redact(broker)} failed TLS: {cause}; name the CA that signed its "
                      "certificate with ?ssl_ca_certs=/path/ca.pem in the URL (docs/deploy.md)") from exc


def _last_line(report: Report) -> str:
    text = next((t.output for t in report.tests if t.outcome == "error"), "").strip().splitlines()
    return text[-1][:300] if text else "error"


def grade_via_broker(lab: Lab, todo: list[tuple[Submission, dict[str, str]]], out: Path, *, broker: str,
                     overrides: dict[str, dict[str, Any]], deadline: float, lab_hash: str,
                     on_reply: OnReply) -> dict[str, Report]:
    """grader.batch.run's contract, over the broker: each result is on disk before on_reply hears of it."""
    return Dispatcher(lab, out, broker, overrides=overrides, deadline=deadline, lab_hash=lab_hash,
                      on_reply=on_reply).run(todo)
