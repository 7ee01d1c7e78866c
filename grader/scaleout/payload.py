"""What a task carries, both ways, as JSON-ready dicts.

Rule: both directions are untrusted. The orchestrator checks a reply as it
checks a sandbox's document (grader.results.parse_report); a worker unpacks a
submission with the same safe extraction a local batch applies to an LMS
archive (grader.archive), then proves that what it unpacked hashes to the
submission the orchestrator meant (grader.batch.content_hash).

A task:  {schema, lab, student, grader_version, checks_sha256, submission_sha256,
          overrides, deadline, zip_b64}
A reply: {schema, worker, report} or {schema, worker, refused: "one line"}
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader import archive
from grader.batch import SKIP_PARTS, content_hash
from grader.errors import UsageError
from grader.results import MAX_DOCUMENT, MalformedResult, Report, error_report, parse_report

SCHEMA = 1
#: Bytes of one submission as it travels (compressed). A socket lab is a few files;
#: anything near this is not a submission, and a broker is no place for it.
MAX_ZIP = 8 << 20
#: What a worker lets one task's zip expand to (the archive rules of a local batch, smaller caps).
CAPS = archive.Caps(max_bytes=64 << 20, max_files=2000)
STAMP = (2000, 1, 1, 0, 0, 0)  # one date for every entry: the same folder packs to the same bytes


class BadTask(ValueError):
    """A task this worker must not grade; the message is the one line the orchestrator reports."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Task:
    lab: str
    student: str
    grader_version: str
    checks_sha256: str
    submission_sha256: str
    overrides: dict[str, dict[str, Any]]
    deadline: float
    zip_b64: str

    def to_json(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "lab": self.lab, "student": self.student, "grader_version": self.grader_version,
                "checks_sha256": self.checks_sha256, "submission_sha256": self.submission_sha256,
                "overrides": self.overrides, "deadline": self.deadline, "zip_b64": self.zip_b64}

    @classmethod
    def from_json(cls, doc: Any) -> Task:
        if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
            got = doc.get("schema") if isinstance(doc, dict) else type(doc).__name__
            raise BadTask(f"task format {got!r}, this worker reads format {SCHEMA}: install the same grader "
                          "on every machine")
        text = ("lab", "student", "grader_version", "checks_sha256", "submission_sha256", "zip_b64")
        for key in text:
            if not isinstance(doc.get(key), str):
                raise BadTask(f"malformed task: {key} is not text")
        deadline = doc.get("deadline")
        if isinstance(deadline, bool) or not isinstance(deadline, (int, float)) or not math.isfinite(deadline) \
                or deadline <= 0:
            raise BadTask(f"malformed task: deadline {deadline!r}")
        overrides = doc.get("overrides")
        if not isinstance(overrides, dict) or not all(isinstance(v, dict) for v in overrides.values()):
            raise BadTask("malformed task: overrides is not a mapping of checks")
        return cls(**{k: doc[k] for k in text}, overrides=overrides, deadline=float(deadline))


def pack(folder: Path) -> bytes:
    """The files the sandbox would copy (content_hash's selection), as a zip with fixed dates."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder)
            if path.is_symlink() or not path.is_file() or any(p.startswith(".") or p in SKIP_PARTS
                                                               for p in rel.parts):
                continue
            info = zipfile.ZipInfo(rel.as_posix(), STAMP)
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    return buf.getvalue()


def encode(data: bytes) -> str:
    if len(data) > MAX_ZIP:
        raise BadTask(f"the submission is {len(data) >> 10} KiB compressed, over the broker's cap of "
                      f"{MAX_ZIP >> 20} MiB; grade it on one machine (without --broker)")
    return base64.b64encode(data).decode("ascii")


def unpack(task: Task, dest: Path) -> Path:
    """The submission as a folder under dest, extracted safely and proved to be the one sent."""
    if len(task.zip_b64) > MAX_ZIP * 4 // 3 + 4:
        raise BadTask(f"the submission is over the broker's cap of {MAX_ZIP >> 20} MiB")
    try:
        data = base64.b64decode(task.zip_b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadTask(f"malformed task: the submission is not base64 ({exc})") from exc
    (dest / "submission.zip").write_bytes(data)
    folder = dest / "submission"
    try:
        archive.extract(dest / "submission.zip", folder, CAPS)
    except UsageError as exc:
        raise BadTask(f"the submission did not unpack: {exc}") from exc
    if content_hash(folder) != task.submission_sha256:
        raise BadTask("the submission that arrived is not the one sent (its sha256 differs): "
                      "something between the machines altered it")
    return folder


def reply(worker: str, report: Report) -> dict[str, Any]:
    return {"schema": SCHEMA, "worker": worker, "report": report.to_json()}


def refusal(worker: str, why: str) -> dict[str, Any]:
    return {"schema": SCHEMA, "worker": worker, "refused": why}


def read_reply(doc: Any, lab: str) -> tuple[Report, str]:
    """(the report, the worker's name) from a reply; a refusal or a malformed reply is an `error` report."""
    worker = str(doc.get("worker", "?"))[:200] if isinstance(doc, dict) else "?"
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        return error_report(lab, f"worker {worker} sent a reply this grader cannot read"), worker
    if "refused" in doc:
        return error_report(lab, f"worker {worker} refused the task: {str(doc['refused'])[:2000]}"), worker
    text = json.dumps(doc.get("report"))
    if len(text) > MAX_DOCUMENT:
        return error_report(lab, f"worker {worker} sent a results document over {MAX_DOCUMENT >> 20} MiB"), worker
    try:
        return parse_report(text, lab), worker
    except MalformedResult as exc:
        return error_report(lab, f"worker {worker} sent a malformed results document: {exc}"), worker
