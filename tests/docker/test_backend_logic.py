"""The Docker backend's pure parts: framing, staleness, lab network settings, container settings.

No engine needed: these run everywhere.
"""

from __future__ import annotations

import json
import os
import socket
import textwrap
import time
from pathlib import Path

import pytest

from grader.backends import RunRequest, runner_argv
from grader.errors import ConfigError
from grader.backends import docker as backend
from grader.labs import get_lab, load_lab
from harness import docker_entry, schema

NONCE = "0123456789abcdef" * 2


def test_the_document_is_taken_only_from_between_this_runs_frame() -> None:
    body = b'{"a": 1}\n'
    stream = (b"runner noise\n" + docker_entry.frame("f" * 32, b'{"forged": true}')
              + docker_entry.frame(NONCE, body) + b"trailing\n")
    assert backend.extract_document(stream, NONCE) == body
    assert backend.extract_document(b"no frame at all", NONCE) is None
    assert backend.extract_document(docker_entry.frame(NONCE, body)[:-5], NONCE) is None  # no END line


def test_feedback_is_capped_head_and_tail() -> None:
    capped = schema.cap_feedback("a" * 100_000 + "z")
    assert len(capped) <= schema.FEEDBACK_CAP and schema.cap_feedback(capped) == capped
    assert capped.startswith("aaa") and capped.endswith("z")
    assert schema.cap_feedback("short") == "short"


def test_entry_refuses_a_missing_nonce(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(docker_entry.NONCE_VAR, raising=False)
    assert docker_entry.main(["--lab-dir", "x"]) == 2


def _labels(owner: str, deadline: float) -> dict[str, str]:
    return {backend.LABEL: "1", f"{backend.LABEL}.owner": owner, f"{backend.LABEL}.deadline": str(int(deadline))}


def test_staleness() -> None:
    later = time.time() + 600
    assert not backend.is_stale(_labels(backend.owner_id(), later)), "our own live container"
    assert backend.is_stale(_labels(backend.owner_id(), time.time() - 5)), "past its deadline"
    dead = f"{socket.gethostname()}:{os.getpid() + 10**7}:1"
    assert backend.is_stale(_labels(dead, later)), "owner process gone"
    reused = f"{socket.gethostname()}:{os.getpid()}:1"
    assert backend.is_stale(_labels(reused, later)), "pid reused by another process"
    assert not backend.is_stale(_labels("elsewhere:1:1", later)), "another machine's: only its deadline counts"
    assert backend.is_stale({backend.LABEL: "1", f"{backend.LABEL}.deadline": "soon"})


def _lab(tmp_path: Path, extra: str) -> object:
    d = tmp_path / "assignments" / "some_lab"
    d.mkdir(parents=True)
    (d / "assignment.yml").write_text("name: some_lab\ntitle: t\nkind: client\nfile: p.py\n" + textwrap.dedent(extra))
    return load_lab(d, tmp_path)


def test_lab_network_settings(tmp_path: Path) -> None:
    lab = _lab(tmp_path, """
        hosts: {pool.ntp.org: 127.10.0.1}
        sysctls: {net.ipv4.tcp_wmem: "4096 16384 65536", net.core.somaxconn: 16}
    """)
    hosts, sysctls = lab.spec.hosts, lab.spec.sysctls  # type: ignore[attr-defined]
    assert hosts == {"pool.ntp.org": "127.10.0.1"}
    assert sysctls == {"net.ipv4.tcp_wmem": "4096 16384 65536", "net.core.somaxconn": "16"}


@pytest.mark.parametrize("extra, message", [
    ("hosts: {pool.ntp.org: localhost}", "expected an IP address"),
    ("sysctls: {kernel.pid_max: 100}", "only per-network-namespace"),
    ("hosts: [a, b]", "hosts: expected a mapping"),
])
def test_bad_lab_network_settings_are_named(tmp_path: Path, extra: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _lab(tmp_path, extra)


def test_container_settings_are_hardened(tmp_path: Path) -> None:
    lab = get_lab("tcp_echo")
    b = object.__new__(backend.DockerBackend)  # no engine needed for the settings
    b.limits, b.deadline, b.image = backend.Limits(), None, "x"
    kw = b.container_kwargs(RunRequest(lab=lab, submission=lab.reference), {"a.b": "127.0.0.2"},
                            {"net.ipv4.tcp_wmem": "1 2 3"}, 60)
    assert kw["network_mode"] == "none" and kw["read_only"] and kw["init"]
    assert kw["cap_drop"] == ["ALL"] and "SYS_ADMIN" not in kw["cap_add"] and "NET_ADMIN" not in kw["cap_add"]
    assert kw["security_opt"] == ["no-new-privileges:true"] and kw["privileged"] is False
    assert kw["mem_limit"] == kw["memswap_limit"]
    assert kw["volumes"] == {str(lab.reference.resolve()): {"bind": "/submission", "mode": "ro"}}
    assert all("size=" in opts and "noexec" in opts for opts in kw["tmpfs"].values())
    assert "mode=0700" in kw["tmpfs"]["/run/grader"]
    assert kw["sysctls"]["net.ipv4.tcp_wmem"] == "1 2 3" and kw["sysctls"]["net.ipv6.conf.lo.disable_ipv6"] == "0"
    assert kw["extra_hosts"] == {"a.b": "127.0.0.2"}
    assert "GRADER_NONCE" not in kw["environment"]  # added per run, never in argv
    args = runner_argv(RunRequest(lab=lab, submission=lab.reference, only=("a", "b")), lab_dir="/x",
                       submission="/submission", scratch="/s", isolate="no", student_uid=1234567, student_nproc=64)
    assert "--only" in args and "a,b" in args and "--include-hidden" not in args
    assert not any(NONCE in a for a in args)
    assert backend.student_uid() in backend.STUDENT_UIDS
    json.dumps(kw)  # plain values only: nothing of the SDK leaks in
