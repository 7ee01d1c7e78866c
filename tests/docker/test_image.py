"""The sandbox image builds, imports what the harness needs and hides the checks."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader import docker_engine, image

REPO_ROOT = Path(__file__).resolve().parents[2]
LABEL = "edu.socklab.grader.test"

pytestmark = [pytest.mark.docker, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def sandbox_image() -> str:
    reason = docker_engine.engine_available()
    if reason is not None:
        pytest.skip(reason)
    return image.ensure_image(REPO_ROOT, progress=lambda line: None)


@pytest.fixture
def run_label() -> Iterator[str]:
    """A label value unique to one test; whatever carries it is swept afterwards."""
    value = uuid.uuid4().hex[:12]
    yield value
    leftovers = docker_engine.sweep(f"{LABEL}={value}")
    assert leftovers.total == 0, f"containers left behind: {leftovers}"


def _run(tag: str, label: str, command: list[str], **kwargs: object) -> docker_engine.RunResult:
    return docker_engine.run_once(
        tag,
        command,
        network_mode="none",
        labels={LABEL: label},
        timeout=60,
        **kwargs,
    )


def test_tag_is_content_addressed(tmp_path: Path) -> None:
    for name in ("harness", "assignments", "docker"):
        shutil.copytree(REPO_ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "assignments" / "lab_x").mkdir(exist_ok=True)
    check = tmp_path / "assignments" / "lab_x" / "test_lab_x.py"
    check.write_text("def test_one():\n    pass\n")
    tag = image.image_tag(tmp_path)
    assert tag.startswith("socklab-grader:") and len(tag.partition(":")[2]) == 12
    (tmp_path / "harness" / "__pycache__").mkdir(exist_ok=True)
    (tmp_path / "harness" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"junk")
    assert image.image_tag(tmp_path) == tag, "caches must not change the tag"
    check.write_text("def test_one():\n    assert True\n")
    assert image.image_tag(tmp_path) != tag, "editing a check must change the tag"


def test_ensure_image_returns_an_existing_image(sandbox_image: str) -> None:
    assert sandbox_image.startswith("socklab-grader:")
    assert docker_engine.image_exists(sandbox_image)


def test_image_has_the_harness_dependencies(sandbox_image: str, run_label: str) -> None:
    script = (
        "import pytest, pytest_timeout, yaml, ntplib, socketserver, json, asyncio, os, pwd, socket\n"
        "assert socket.getservbyname('ntp', 'udp') == 123  # ntplib's default port='ntp'\n"
        "s = pwd.getpwnam('student')\n"
        "assert (s.pw_uid, s.pw_gid, s.pw_dir) == (10001, 10001, '/home/student'), s\n"
        "assert os.environ['PYTHONPATH'] == '/opt/grader'\n"
        "assert os.environ['PYTHONDONTWRITEBYTECODE'] == '1'\n"
        "print(pytest.__version__)\n"
    )
    result = _run(sandbox_image, run_label, ["python3", "-c", script])
    assert result.exit_code == 0, result.stderr.decode(errors="replace")

    help_text = _run(sandbox_image, run_label, ["python3", "-m", "pytest", "--help"])
    assert help_text.exit_code == 0, help_text.stderr.decode(errors="replace")
    assert b"--timeout" in help_text.stdout


def test_student_cannot_read_the_checks(sandbox_image: str, run_label: str) -> None:
    script = (
        "import os, sys\n"
        "try:\n"
        "    os.listdir('/opt/grader/assignments')\n"
        "except PermissionError:\n"
        "    pass\n"
        "else:\n"
        "    sys.exit('uid %d can list /opt/grader/assignments' % os.getuid())\n"
        "os.listdir('/opt/grader/harness')\n"
    )
    result = _run(sandbox_image, run_label, ["python3", "-c", script], user="10001:10001")
    assert result.exit_code == 0, result.stderr.decode(errors="replace")
