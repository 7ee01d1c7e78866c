"""The sandbox image: its content-addressed tag, and building it when missing.

    image_tag(data_root)        socklab-grader:<12 hex>, a hash of every file that goes
                                into the image (harness/**, assignments/**, docker/*)
    ensure_image(data_root)     build it unless it exists; return the tag
    prune_stale_images(...)     remove older socklab-grader/socklab-base images

Two layers, so that editing a check rebuilds in seconds:

1. the **base** (``socklab-base:<12 hex>``): Python 3.11 with pytest, pytest-timeout,
   PyYAML and ntplib. With no registry it is a Debian root file system made by
   ``docker/build-rootfs.sh`` (debootstrap) and imported; the tarball is cached in
   ``~/.cache/socklab-grader/`` under a key of the package list, so it is made once
   per machine. ``SOCKLAB_BASE_IMAGE=python:3.11-slim-bookworm`` (or any local image)
   skips all that.
2. the **project layer**: ``docker/Dockerfile`` built ``FROM`` the base with a small
   context holding exactly the hashed files.

Docker is reached only through :mod:`grader.docker_engine`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from grader import docker_engine
from grader.errors import InfrastructureError

Progress = Callable[[str], None]

IMAGE_REPOSITORY = "socklab-grader"
BASE_REPOSITORY = "socklab-base"
DEBIAN_SUITE = "bookworm"
#: Debian packages of the offline base (full python3: python3-minimal lacks
#: socketserver/json/asyncio). netbase gives /etc/services and /etc/protocols:
#: without it getservbyname("ntp") fails, and so does ntplib's default port="ntp".
#: procps gives ps/pgrep for debugging a sandbox.
BASE_PACKAGES = (
    "python3",
    "python3-pytest",
    "python3-pytest-timeout",
    "python3-yaml",
    "python3-ntplib",
    "netbase",
    "procps",
)
#: What the built image must be able to import; checked right after a build.
REQUIRED_MODULES = ("socket", "pytest", "pytest_timeout", "yaml", "ntplib", "socketserver", "json", "asyncio")

_SKIP_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
_SKIP_SUFFIXES = (".pyc", ".pyo", ".swp", "~")


def _stderr_progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- content


def _harness_dir(data_root: Path) -> Path:
    """``data_root/harness`` in a checkout; the installed package in a wheel install."""
    candidate = data_root / "harness"
    if candidate.is_dir():
        return candidate
    spec = importlib.util.find_spec("harness")
    if spec is None or not spec.submodule_search_locations:
        raise InfrastructureError(f"cannot find the harness package (not in {data_root})")
    return Path(next(iter(spec.submodule_search_locations)))


def _wanted(path: Path, top: Path) -> bool:
    rel = path.relative_to(top)
    return (
        path.is_file()
        and not any(part in _SKIP_PARTS or part.startswith(".") for part in rel.parts)
        and not path.name.endswith(_SKIP_SUFFIXES)
    )


def image_files(data_root: Path) -> list[tuple[str, Path]]:
    """Every file that goes into the image, as (path in the build context, source), sorted."""
    data_root = Path(data_root)
    harness = _harness_dir(data_root)
    assignments = data_root / "assignments"
    docker_dir = data_root / "docker"
    if not (docker_dir / "Dockerfile").is_file():
        raise InfrastructureError(f"{docker_dir / 'Dockerfile'} is missing")
    files: dict[str, Path] = {}
    for path in harness.rglob("*"):  # *.py and data such as checks.ini
        if _wanted(path, harness):
            files["harness/" + path.relative_to(harness).as_posix()] = path
    if assignments.is_dir():
        for path in assignments.rglob("*"):
            if _wanted(path, assignments):
                files["assignments/" + path.relative_to(assignments).as_posix()] = path
    for path in docker_dir.iterdir():
        if _wanted(path, docker_dir):
            files["docker/" + path.name] = path
    return sorted(files.items())


def _digest(parts: Iterator[bytes]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()[:12]


def image_tag(data_root: Path) -> str:
    """``socklab-grader:<12 hex>`` over sorted paths and contents of the image's files."""

    def parts() -> Iterator[bytes]:
        for rel, path in image_files(data_root):
            yield rel.encode()
            yield path.read_bytes()

    return f"{IMAGE_REPOSITORY}:{_digest(parts())}"


def _rootfs_script(data_root: Path) -> Path:
    return Path(data_root) / "docker" / "build-rootfs.sh"


def base_key(data_root: Path) -> str:
    """Key of the offline base: suite, architecture, package list and the build script."""
    script = _rootfs_script(data_root)

    def parts() -> Iterator[bytes]:
        yield DEBIAN_SUITE.encode()
        yield platform.machine().encode()
        yield " ".join(sorted(BASE_PACKAGES)).encode()
        yield script.read_bytes() if script.is_file() else b""

    return _digest(parts())


def cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "socklab-grader"


# --------------------------------------------------------------------------- base


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock file: two grader runs do not debootstrap twice at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def rootfs_tarball(data_root: Path) -> Path:
    return cache_dir() / f"rootfs-{DEBIAN_SUITE}-{base_key(data_root)}.tar.gz"


def _make_rootfs(data_root: Path, tarball: Path, progress: Progress) -> None:
    script = _rootfs_script(data_root)
    command = ["sh", str(script), str(tarball), *BASE_PACKAGES]
    if os.geteuid() != 0:
        raise InfrastructureError(
            "the sandbox base image is missing and making it needs root once (debootstrap): "
            f"run `sudo {' '.join(command)}` and retry; or set SOCKLAB_BASE_IMAGE to a local "
            "image with Python 3.11 (for example python:3.11-slim-bookworm); or use --backend local"
        )
    progress(f"making the base root file system with debootstrap (about a minute): {tarball}")
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
    ) as proc:
        assert proc.stdout is not None
        tail: list[str] = []
        for raw in proc.stdout:
            line = raw.rstrip()
            tail = [*tail, line][-20:]
            progress(line)
    if proc.returncode != 0 or not tarball.is_file():
        detail = "\n  ".join(tail)
        raise InfrastructureError(
            f"building the base root file system failed (exit {proc.returncode}):\n  {detail}"
        )


def ensure_base(data_root: Path, progress: Progress = _stderr_progress) -> str:
    """The base image tag; imports (and first makes) the cached rootfs when missing."""
    override = os.environ.get("SOCKLAB_BASE_IMAGE")
    if override:
        if not docker_engine.image_exists(override):
            raise InfrastructureError(
                f"SOCKLAB_BASE_IMAGE={override} is not a local image: `docker pull {override}` first"
            )
        return override
    tag = f"{BASE_REPOSITORY}:{base_key(data_root)}"
    if docker_engine.image_exists(tag):
        return tag
    tarball = rootfs_tarball(data_root)
    with _locked(cache_dir() / "rootfs.lock"):
        if docker_engine.image_exists(tag):
            return tag
        if not tarball.is_file():
            _make_rootfs(data_root, tarball, progress)
        progress(f"importing {tarball.name} as {tag}")
        docker_engine.import_rootfs(
            tarball, tag, changes=["ENV LANG=C.UTF-8", 'CMD ["python3"]']
        )
    return tag


# --------------------------------------------------------------------------- image


def _write_context(data_root: Path, context: Path) -> None:
    for rel, source in image_files(data_root):
        target = context / ("Dockerfile" if rel == "docker/Dockerfile" else rel)
        if rel.startswith("docker/") and rel != "docker/Dockerfile":
            continue  # hashed (they shape the image) but not copied in
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    (context / "harness").mkdir(exist_ok=True)
    (context / "assignments").mkdir(exist_ok=True)


def verify_image(tag: str) -> None:
    """Raise unless the image imports the harness' modules and hides the checks from uid 10001."""
    imports = "import " + ", ".join(REQUIRED_MODULES) + "; socket.getservbyname('ntp', 'udp')"
    result = docker_engine.run_once(
        tag, ["python3", "-c", imports], network_mode="none", timeout=120
    )
    if result.exit_code != 0:
        raise InfrastructureError(
            f"image {tag} is broken: `python3 -c '{imports}'` exited {result.exit_code}: "
            + result.stderr.decode(errors="replace")[-500:]
        )


def ensure_image(
    data_root: Path, progress: Progress | None = None, *, verify: bool = True
) -> str:
    """Return the sandbox image tag for ``data_root``, building it first when missing.

    ``data_root`` holds ``docker/``, ``assignments/`` and (in a checkout) ``harness/``.
    ``progress`` receives one human line at a time (default: stderr). Raises
    InfrastructureError (or a docker_engine subclass) when it cannot.
    """
    say = progress or _stderr_progress
    data_root = Path(data_root)
    tag = image_tag(data_root)
    if docker_engine.image_exists(tag):
        return tag
    base = ensure_base(data_root, say)
    say(f"building {tag} from {base}")
    with tempfile.TemporaryDirectory(prefix="socklab-context-") as tmp:
        context = Path(tmp)
        _write_context(data_root, context)
        docker_engine.build_image(
            context,
            tag,
            buildargs={"BASE": base},
            progress=say,
        )
    if verify:
        try:
            verify_image(tag)
        except InfrastructureError:
            docker_engine.remove_image(tag, force=True)
            raise
    return tag


def prune_stale_images(data_root: Path) -> list[str]:
    """Remove our older images and cached rootfs tarballs; images in use stay. Returns what went."""
    keep = {image_tag(data_root), f"{BASE_REPOSITORY}:{base_key(data_root)}"}
    removed = []
    for repository in (IMAGE_REPOSITORY, BASE_REPOSITORY):
        for tag in docker_engine.list_tags(repository):
            if tag in keep:
                continue
            try:
                docker_engine.remove_image(tag)
            except docker_engine.DockerOperationFailed:
                continue  # in use by a container, or a parent of a kept image
            removed.append(tag)
    current = rootfs_tarball(data_root)
    for tarball in cache_dir().glob("rootfs-*.tar.gz"):
        if tarball != current:
            tarball.unlink(missing_ok=True)
            removed.append(str(tarball))
    return removed
