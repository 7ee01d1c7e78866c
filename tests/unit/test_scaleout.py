"""The broker path's pure parts: what a task carries, the refusals, the URL rules (no broker needed)."""

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path

import pytest

from grader import __version__
from grader.batch import checks_hash, content_hash
from grader.config import load_config
from grader.errors import ConfigError
from grader.labs import all_labs
from grader.results import error_report
from grader.scaleout import payload
from grader.scaleout.celery_app import check_url, redact, settings
from grader.scaleout.dispatch import task_id
from grader.scaleout.worker import WorkerSetup, mismatch


def submission(tmp_path: Path) -> Path:
    folder = tmp_path / "alice"
    (folder / "lib").mkdir(parents=True)
    (folder / "echo_server.py").write_bytes(b"print('hi')\n")
    (folder / "lib" / "util.py").write_bytes(b"X = 1\n")
    (folder / ".hidden").write_bytes(b"never sent")
    return folder


def task_for(folder: Path, zip_bytes: bytes, **changes: object) -> payload.Task:
    lab = all_labs()["tcp_echo"]
    fields = {"lab": "tcp_echo", "student": "alice", "grader_version": __version__,
              "checks_sha256": checks_hash(lab, {}), "submission_sha256": content_hash(folder), "overrides": {},
              "deadline": 30.0, "zip_b64": base64.b64encode(zip_bytes).decode()}
    return payload.Task(**{**fields, **changes})  # type: ignore[arg-type]


def test_a_submission_travels_as_the_files_the_sandbox_would_copy(tmp_path: Path) -> None:
    folder = submission(tmp_path)
    task = payload.Task.from_json(task_for(folder, payload.pack(folder)).to_json())
    (tmp_path / "w").mkdir()
    got = payload.unpack(task, tmp_path / "w")
    assert sorted(p.relative_to(got).as_posix() for p in got.rglob("*") if p.is_file()) == \
        ["echo_server.py", "lib/util.py"]
    assert payload.pack(folder) == payload.pack(folder)  # fixed dates: the same folder, the same bytes


def test_an_altered_or_escaping_submission_is_refused(tmp_path: Path) -> None:
    folder = submission(tmp_path)
    (tmp_path / "w1").mkdir()
    with pytest.raises(payload.BadTask, match="not the one sent"):
        payload.unpack(task_for(folder, payload.pack(folder), submission_sha256="0" * 64), tmp_path / "w1")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../../etc/evil", b"x")
    (tmp_path / "w2").mkdir()
    with pytest.raises(payload.BadTask, match="zip-slip"):
        payload.unpack(task_for(folder, buf.getvalue()), tmp_path / "w2")
    with pytest.raises(payload.BadTask, match="over the broker's cap"):
        payload.encode(b"x" * (payload.MAX_ZIP + 1))
    with pytest.raises(payload.BadTask, match="task format"):
        payload.Task.from_json({"schema": 99})


def test_a_worker_refuses_other_checks_another_version_and_a_deadline_it_cannot_cover(tmp_path: Path) -> None:
    folder = submission(tmp_path)
    setup = WorkerSetup(name="w@test", backend=None, labs=all_labs(), visibility_timeout=100.0)  # type: ignore[arg-type]
    assert mismatch(setup, task_for(folder, b"")) is None
    assert "version mismatch" in (mismatch(setup, task_for(folder, b"", checks_sha256="f" * 64)) or "")
    assert "version mismatch" in (mismatch(setup, task_for(folder, b"", grader_version="0.0.0")) or "")
    assert "--visibility-timeout 110" in (mismatch(setup, task_for(folder, b"", deadline=100.0)) or "")
    assert "no lab 'nope'" in (mismatch(setup, task_for(folder, b"", lab="nope")) or "")


def test_a_refusal_or_a_forged_reply_becomes_an_error_never_a_score() -> None:
    report, worker = payload.read_reply(payload.refusal("w@x", "version mismatch: ..."), "tcp_echo")
    assert report.has_error and worker == "w@x" and report.max_score == 0
    forged = payload.reply("w@x", error_report("tcp_echo", "x"))
    forged["report"]["tests"][0].update(score=100.0)
    assert payload.read_reply(forged, "tcp_echo")[0].has_error
    assert payload.read_reply("not a reply", "tcp_echo")[0].has_error


def test_json_only_and_late_acknowledgement() -> None:
    conf = settings("redis://127.0.0.1:6379/0", 360)
    assert conf["accept_content"] == ["json"] and conf["result_accept_content"] == ["json"]
    assert conf["task_serializer"] == conf["result_serializer"] == "json"
    assert conf["task_acks_late"] and conf["worker_prefetch_multiplier"] == 1
    assert conf["broker_transport_options"]["visibility_timeout"] == 360


def test_broker_urls_hide_their_password_and_bad_ones_are_named(tmp_path: Path) -> None:
    assert redact("redis://:s3cret@host:6379/0") == "redis://:***@host:6379/0"
    assert redact("rediss://user:s3cret@host/0") == "rediss://user:***@host/0"
    with pytest.raises(ConfigError, match="expected redis://") as exc:
        check_url("http://:s3cret@host/")
    assert "s3cret" not in str(exc.value)
    (tmp_path / "grader.yml").write_text("broker: amqp://:pw@host//\n")
    with pytest.raises(ConfigError, match="grader.yml: broker: expected redis://"):
        load_config(tmp_path / "grader.yml", all_labs())
    (tmp_path / "grader.yml").write_text("broker: redis://grading-0:6379/0\n")
    assert load_config(tmp_path / "grader.yml", all_labs()).broker == "redis://grading-0:6379/0"


def test_a_task_id_names_the_student_the_submission_the_checks_and_the_attempt(tmp_path: Path) -> None:
    record = {"student": "a", "submission_sha256": "1", "checks_sha256": "2", "grader_version": "3"}
    assert task_id(record, tmp_path, 0) == task_id(dict(record), tmp_path, 0)
    assert len({task_id(record, tmp_path, 0), task_id(record, tmp_path, 1),
                task_id({**record, "submission_sha256": "9"}, tmp_path, 0), task_id(record, tmp_path / "x", 0)}) == 4
