"""A real redis-server on a loopback port and real `grader worker` processes, for the broker tests.

Every process here is started by the fixture that owns it and ended by it, by pid.
redis-server listens on 127.0.0.1 only, keeps nothing on disk, and lives in the
test's temporary folder.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.waiting import poll

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True, slots=True, kw_only=True)
class TlsFiles:
    """A self-signed certificate for 127.0.0.1 (it is its own CA) and its key."""
    cert: Path
    key: Path


def self_signed(folder: Path) -> TlsFiles:
    """Made with openssl (a Debian package here), valid one day, for the IP 127.0.0.1 only."""
    if shutil.which("openssl") is None:
        pytest.fail("openssl is not installed: apt-get install openssl")
    folder.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(cert=folder / "cert.pem", key=folder / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(files.key), "-out", str(files.cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return files


def _ping(s: socket.socket) -> bool:
    s.sendall(b"PING\r\n")
    return s.recv(16).startswith(b"+PONG")


def answers_ping(port: int, tls: TlsFiles | None = None) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as raw:
            if tls is None:
                return _ping(raw)
            with ssl.create_default_context(cafile=tls.cert).wrap_socket(raw, server_hostname="127.0.0.1") as s:
                return _ping(s)
    except OSError:  # ssl.SSLError is one
        return False


class RedisServer:
    """redis-server on 127.0.0.1; with `tls`, TLS only (no plain port) and clients need no certificate."""

    def __init__(self, folder: Path, tls: TlsFiles | None = None) -> None:
        self.folder, self.port, self.tls = folder, free_port(), tls
        self.proc: subprocess.Popen[bytes] | None = None
        folder.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        if self.tls is None:
            return f"redis://127.0.0.1:{self.port}/0"
        return f"rediss://127.0.0.1:{self.port}/0?ssl_cert_reqs=required&ssl_ca_certs={self.tls.cert}"

    def _listen(self) -> list[str]:
        if self.tls is None:
            return ["--port", str(self.port)]
        return ["--port", "0", "--tls-port", str(self.port), "--tls-cert-file", str(self.tls.cert),
                "--tls-key-file", str(self.tls.key), "--tls-ca-cert-file", str(self.tls.cert),
                "--tls-auth-clients", "no"]

    def start(self) -> None:
        log = open(self.folder / "redis.log", "ab")  # noqa: SIM115 - closed when the process is stopped
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", *self._listen(), "--dir", str(self.folder),
             "--save", "", "--appendonly", "no", "--protected-mode", "yes", "--daemonize", "no"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        proc = self.proc
        # Stop waiting as soon as it exited (a redis-server built without TLS refuses --tls-port).
        if not poll(lambda: proc.poll() is not None or answers_ping(self.port, self.tls), START_TIMEOUT,
                    cap=0.1) or proc.poll() is not None:
            self.stop()
            raise RuntimeError(f"redis-server did not answer on 127.0.0.1:{self.port}: "
                               f"{(self.folder / 'redis.log').read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def started(server: RedisServer) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed: apt-get install redis-server (.ci/run does)")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    yield from started(RedisServer(tmp_path / "redis"))


def grader_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SOCKLAB_LABS"}
    return {**env, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1", **extra}


class Workers:
    """`grader worker` processes, each logging to its own file."""

    def __init__(self, folder: Path, url: str) -> None:
        self.folder, self.url = folder, url
        self.procs: list[subprocess.Popen[bytes]] = []
        folder.mkdir(parents=True, exist_ok=True)

    def start(self, name: str, *args: str, env: dict[str, str] | None = None,
              backend: str = "local") -> subprocess.Popen[bytes]:
        with open(self.folder / f"{name}.log", "wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "grader", "worker", "--broker", self.url,
                                     "--backend", backend, "--name", f"{name}@test", *args],
                                    cwd=self.folder, env=env or grader_env(), stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
        self.procs.append(proc)
        return proc

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)  # warm shutdown: the tasks in hand finish
        for proc in self.procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def workers(redis_server: RedisServer, tmp_path: Path) -> Iterator[Workers]:
    pool = Workers(tmp_path / "workers", redis_server.url)
    try:
        yield pool
    finally:
        pool.stop_all()


def children(pid: int) -> list[int]:
    """The pids whose parent is `pid` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found
