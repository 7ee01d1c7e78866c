"""The one door to the Docker engine.

Rule: this is the only module of the project that imports ``docker`` (the SDK,
docker-py >= 7). Everything else calls the small functions below, which speak
in paths, tags and plain values, and raise only :mod:`grader.errors` types:

    GraderError
    └── InfrastructureError         (exit 3: never a student's zero)
        ├── DockerUnavailable       no engine, no permission, SDK missing
        └── DockerOperationFailed   an API call failed (import, build, run, sweep)
            └── ImageBuildFailed    a build step failed; carries the last log lines

SDK exceptions are translated at this boundary (``raise ... from exc``), so
callers never see ``docker.errors``.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.errors import InfrastructureError

if TYPE_CHECKING:  # pragma: no cover - typing only
    import docker

Progress = Callable[[str], None]

_START_HINT = (
    "start it with `sudo systemctl start docker` (Linux) or Docker Desktop, "
    "or use --backend local"
)


class DockerUnavailable(InfrastructureError):
    """The engine cannot be reached (not installed, not running, no permission)."""


class DockerOperationFailed(InfrastructureError):
    """The engine answered, but an operation (import, build, run, sweep) failed."""


class ImageBuildFailed(DockerOperationFailed):
    """A step of an image build failed; ``log_tail`` holds the last build lines."""

    def __init__(self, message: str, log_tail: Sequence[str] = ()) -> None:
        self.log_tail = list(log_tail)
        tail = "\n  ".join(self.log_tail[-15:])
        super().__init__(f"{message}\n  {tail}" if tail else message)


def _stderr_progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- client


def _reason_from(exc: BaseException) -> str:
    text = str(exc)
    low = text.lower()
    if "permission denied" in low:
        return (
            "Docker is installed but this user may not use it (permission denied on the "
            "socket): add yourself to the `docker` group, or use --backend local"
        )
    if "no such file" in low or "connection refused" in low or "connection aborted" in low:
        return f"Docker is not running: {_START_HINT}"
    first = text.splitlines()[0] if text else type(exc).__name__
    return f"Docker is not reachable ({first[:200]}): {_START_HINT}"


@functools.lru_cache(maxsize=1)
def _client() -> docker.DockerClient:
    """A connected client (cached). Raises DockerUnavailable with a one-line reason."""
    try:
        import docker  # the only import of the SDK in the project
    except ImportError as exc:  # a student-only install has no Docker SDK (the `instructor` extra)
        raise DockerUnavailable(
            "the Docker SDK for Python is not installed (`pip install 'socklab-grader[instructor]'`), "
            "or use --backend local"
        ) from exc
    reason = None
    try:
        client = docker.from_env(version="auto", timeout=120)
        client.ping()
    except Exception as exc:  # noqa: BLE001 - docker.errors.DockerException, requests errors, OSError
        reason = _reason_from(exc)
    if reason is not None:
        # docker-py leaves the socket of a failed connect open; the traceback keeps it
        # alive. Collect it here, quietly, not at some random later moment.
        import gc
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()
        raise DockerUnavailable(reason)
    return client


def reset_client() -> None:
    """Close and forget the cached client (the next call connects again, e.g. after DOCKER_HOST changed)."""
    if _client.cache_info().currsize:
        try:
            _client().close()
        except Exception:  # noqa: BLE001 - closing a broken client must not fail
            pass
    _client.cache_clear()


def _errors() -> Any:
    import docker.errors

    return docker.errors


def engine_available() -> str | None:
    """None when the engine answers, else a one-line human reason."""
    try:
        _client()
    except DockerUnavailable as exc:
        _client.cache_clear()
        return str(exc)
    return None


def engine_info() -> dict[str, Any]:
    """Facts about the engine worth printing in a `doctor` command."""
    info = _call("read engine info", lambda: _client().info())
    version = _call("read engine version", lambda: _client().version())
    return {
        "server_version": info.get("ServerVersion"),
        "api_version": version.get("ApiVersion"),
        "storage_driver": info.get("Driver"),
        "cgroup_version": info.get("CgroupVersion"),
        "runtimes": sorted(info.get("Runtimes", {})),
        "cpus": info.get("NCPU"),
        "memory_bytes": info.get("MemTotal"),
    }


def _call(what: str, fn: Callable[[], Any]) -> Any:
    """Run one SDK call, translating its exceptions."""
    errors = _errors()
    try:
        return fn()
    except DockerUnavailable:
        raise
    except errors.APIError as exc:
        explanation = getattr(exc, "explanation", None) or str(exc)
        raise DockerOperationFailed(f"Docker could not {what}: {explanation}") from exc
    except errors.DockerException as exc:
        raise DockerOperationFailed(f"Docker could not {what}: {exc}") from exc
    except OSError as exc:  # requests' ConnectionError is an OSError
        raise DockerUnavailable(_reason_from(exc)) from exc


# --------------------------------------------------------------------------- images


def image_exists(tag: str) -> bool:
    errors = _errors()

    def get() -> bool:
        try:
            _client().images.get(tag)
        except errors.ImageNotFound:
            return False
        return True

    return bool(_call(f"look up image {tag}", get))


def image_size(tag: str) -> int:
    """Size in bytes of a local image (all its layers)."""
    return int(_call(f"inspect image {tag}", lambda: _client().images.get(tag).attrs["Size"]))


def list_tags(repository: str) -> list[str]:
    """Local tags of ``repository`` (``socklab-grader`` -> ``["socklab-grader:ab12...", ...]``)."""
    images = _call(f"list images of {repository}", lambda: _client().images.list(name=repository))
    return sorted(t for img in images for t in img.tags if t.startswith(repository + ":"))


def remove_image(tag: str, *, force: bool = False) -> None:
    errors = _errors()

    def rm() -> None:
        try:
            _client().images.remove(tag, force=force, noprune=False)
        except errors.ImageNotFound:
            pass

    _call(f"remove image {tag}", rm)


def import_rootfs(tarball: Path, tag: str, *, changes: Sequence[str] = ()) -> str:
    """`docker import TARBALL TAG`: a root file system (tar, may be gzipped) becomes an image.

    ``changes`` are Dockerfile instructions applied on import (``ENV``, ``CMD``...).
    Returns the image id.
    """
    if not tarball.is_file():
        raise DockerOperationFailed(f"cannot import {tarball}: no such file")
    repository, _, version = tag.rpartition(":") if ":" in tag else (tag, "", "latest")
    _call(
        f"import {tarball.name} as {tag}",
        lambda: _client().api.import_image_from_file(
            str(tarball), repository=repository, tag=version, changes=list(changes) or None
        ),
    )
    return str(_call(f"inspect image {tag}", lambda: _client().images.get(tag).id))


def build_image(
    context_dir: Path,
    tag: str,
    *,
    dockerfile: str = "Dockerfile",
    buildargs: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    progress: Progress | None = _stderr_progress,
) -> str:
    """Build ``context_dir`` into ``tag`` (never pulls); stream progress lines; return the id.

    Raises ImageBuildFailed with the tail of the build log when a step fails.
    """
    lines: list[str] = []
    image_id: str | None = None
    for event in _build_events(context_dir, tag, dockerfile, buildargs, labels):
        if "error" in event:
            detail = event.get("errorDetail", {}).get("message") or event["error"]
            raise ImageBuildFailed(f"building image {tag} failed: {detail.strip()}", lines)
        aux = event.get("aux")
        if isinstance(aux, dict) and "ID" in aux:
            image_id = str(aux["ID"])
        text = str(event.get("stream") or event.get("status") or "").rstrip()
        for line in text.splitlines():
            if line.strip():
                lines.append(line)
                if progress is not None:
                    progress(line)
    if image_id is None:
        image_id = str(_call(f"inspect image {tag}", lambda: _client().images.get(tag).id))
    return image_id


def _build_events(
    context_dir: Path,
    tag: str,
    dockerfile: str,
    buildargs: Mapping[str, str] | None,
    labels: Mapping[str, str] | None,
) -> Iterator[dict[str, Any]]:
    stream = _call(
        f"start building {tag}",
        lambda: _client().api.build(
            path=str(context_dir),
            dockerfile=dockerfile,
            tag=tag,
            rm=True,
            forcerm=True,
            pull=False,
            decode=True,
            buildargs=dict(buildargs or {}),
            labels=dict(labels or {}),
        ),
    )
    iterator = iter(stream)
    while True:
        event = _call(f"build {tag}", lambda: next(iterator, None))
        if event is None:
            return
        yield event


# --------------------------------------------------------------------------- containers


@dataclass(frozen=True, slots=True, kw_only=True)
class RunResult:
    """What a finished throwaway container left behind (output capped by the caller's limit)."""

    exit_code: int
    stdout: bytes
    stderr: bytes
    timed_out: bool = False


def run_once(
    image: str,
    command: Sequence[str],
    *,
    timeout: float = 60.0,
    output_limit: int = 1 << 20,
    **create_kwargs: Any,
) -> RunResult:
    """Create, start, wait for and always remove one container.

    ``create_kwargs`` go to ``containers.create`` unchanged (``user``, ``network_mode``,
    ``cap_drop``, ``labels``, ``tmpfs``...). The container is removed with force in
    ``finally``, whatever happens. On timeout it is killed and ``timed_out`` is set.
    """
    errors = _errors()
    client = _client()
    container = _call(
        f"create a container from {image}",
        lambda: client.containers.create(image, list(command), detach=True, **create_kwargs),
    )
    try:
        _call("start a container", container.start)
        timed_out = False
        try:
            status = container.wait(timeout=timeout)
            exit_code = int(status.get("StatusCode", -1))
        except Exception as exc:  # requests ReadTimeout / ConnectionError on timeout
            if isinstance(exc, errors.APIError):
                raise DockerOperationFailed(f"waiting for a container failed: {exc}") from exc
            timed_out = True
            exit_code = -9
            _call("kill a timed-out container", lambda: _kill_quietly(container))
        stdout = _call("read container output", lambda: container.logs(stdout=True, stderr=False))
        stderr = _call("read container output", lambda: container.logs(stdout=False, stderr=True))
        return RunResult(
            exit_code=exit_code,
            stdout=bytes(stdout[:output_limit]),
            stderr=bytes(stderr[:output_limit]),
            timed_out=timed_out,
        )
    finally:
        remove_container(container.id)


def _kill_quietly(container: Any) -> None:
    errors = _errors()
    try:
        container.kill()
    except errors.APIError:
        pass  # already gone


def remove_container(container_id: str) -> None:
    """Force-remove one container (and its anonymous volumes); absent is fine."""
    errors = _errors()

    def rm() -> None:
        try:
            _client().api.remove_container(container_id, force=True, v=True)
        except errors.NotFound:
            pass
        except errors.APIError as exc:
            if "removal of container" in str(exc) and "already in progress" in str(exc):
                return
            raise

    _call(f"remove container {container_id[:12]}", rm)


# --------------------------------------------------------------------------- one container, step by step
#
# For callers that need more control than run_once (grader.backends.docker):
# each function takes a container id and translates SDK errors like _call.


def create_container(image: str, command: Sequence[str], **create_kwargs: Any) -> str:
    """``docker create``; returns the id. A missing image is a DockerOperationFailed that says so."""
    errors = _errors()
    client = _client()

    def create() -> str:
        try:
            return str(client.containers.create(image, list(command), detach=True, **create_kwargs).id)
        except errors.ImageNotFound as exc:
            raise DockerOperationFailed(
                f"the sandbox image {image} is missing (removed while in use?): "
                "`grader image build` makes it again"
            ) from exc

    return str(_call(f"create a container from {image}", create))


def start_container(container_id: str) -> None:
    _call(f"start container {container_id[:12]}", lambda: _client().api.start(container_id))


def wait_container(container_id: str, timeout: float) -> int | None:
    """The exit status once the container stops, or None if it still runs after ``timeout`` s."""
    import requests.exceptions

    def wait() -> int | None:
        try:
            status = _client().api.wait(container_id, timeout=max(1, int(timeout + 0.999)))
        except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError) as exc:
            if "timed out" in str(exc).lower() or isinstance(exc, requests.exceptions.ReadTimeout):
                return None
            raise
        return int(status.get("StatusCode", -1))

    result: int | None = _call(f"wait for container {container_id[:12]}", wait)
    return result


def kill_container(container_id: str) -> None:
    """SIGKILL every process of the container; a container already stopped or gone is fine."""
    errors = _errors()

    def kill() -> None:
        try:
            _client().api.kill(container_id)
        except errors.APIError:
            pass  # not running, or already removed

    _call(f"kill container {container_id[:12]}", kill)


def container_logs(container_id: str, *, stdout: bool, stderr: bool, tail: int | None = None,
                   limit: int = 32 << 20) -> bytes:
    """What the container wrote (its json-file log, itself size-capped), at most ``limit`` bytes."""
    data = _call(
        f"read the output of container {container_id[:12]}",
        lambda: _client().api.logs(container_id, stdout=stdout, stderr=stderr,
                                   tail="all" if tail is None else tail),
    )
    return bytes(data[:limit])


def container_state(container_id: str) -> dict[str, Any]:
    """The ``State`` part of ``docker inspect`` (Status, ExitCode, OOMKilled, Error...)."""
    attrs = _call(f"inspect container {container_id[:12]}",
                  lambda: _client().api.inspect_container(container_id))
    state = attrs.get("State") if isinstance(attrs, dict) else None
    return dict(state) if isinstance(state, dict) else {}


@dataclass(frozen=True, slots=True, kw_only=True)
class ContainerInfo:
    id: str
    labels: dict[str, str]
    state: str  # created, running, exited...


def list_containers(label: str) -> list[ContainerInfo]:
    """Every container (running or not) carrying ``label`` (``key`` or ``key=value``)."""
    rows = _call("list labelled containers",
                 lambda: _client().api.containers(all=True, filters={"label": label}))
    return [ContainerInfo(id=r["Id"], labels=dict(r.get("Labels") or {}), state=str(r.get("State", "")))
            for r in rows]


def bridge_gateway() -> str | None:
    """The host's address on Docker's default bridge (e.g. 172.17.0.1), if there is one.

    Only the attack tests use it: to prove a sandbox cannot reach the host there.
    """
    errors = _errors()

    def get() -> str | None:
        try:
            attrs = _client().api.inspect_network("bridge")
        except errors.NotFound:
            return None
        for config in (attrs.get("IPAM") or {}).get("Config") or []:
            if config.get("Gateway"):
                return str(config["Gateway"]).split("/")[0]
            if config.get("Subnet"):  # the engine's default: the subnet's first address
                import ipaddress

                return str(next(ipaddress.ip_network(config["Subnet"], strict=False).hosts()))
        return None

    result: str | None = _call("inspect the default bridge network", get)
    return result


# --------------------------------------------------------------------------- sweeping


@dataclass(slots=True, kw_only=True)
class SweepReport:
    containers: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.containers) + len(self.networks) + len(self.volumes)


def sweep(label: str) -> SweepReport:
    """Remove every container, network and volume carrying ``label``.

    ``label`` is ``"key"`` (any value) or ``"key=value"``, as in ``docker ps --filter``.
    Containers go first (a network in use cannot be removed). Returns what was removed.
    """
    errors = _errors()
    client = _client()
    report = SweepReport()
    filters = {"label": label}

    containers = _call("list labelled containers", lambda: client.api.containers(all=True, filters=filters))
    for c in containers:
        remove_container(c["Id"])
        report.containers.append(c["Id"][:12])

    for net in _call("list labelled networks", lambda: client.networks.list(filters=filters)):
        try:
            _call(f"remove network {net.name}", net.remove)
        except DockerOperationFailed as exc:
            if isinstance(exc.__cause__, errors.NotFound):
                continue
            raise
        report.networks.append(net.name)

    for vol in _call("list labelled volumes", lambda: client.volumes.list(filters=filters)):
        try:
            _call(f"remove volume {vol.name}", functools.partial(vol.remove, force=True))
        except DockerOperationFailed as exc:
            if isinstance(exc.__cause__, errors.NotFound):
                continue
            raise
        report.volumes.append(vol.name)
    return report
