"""rediss://: the broker path over TLS, to a redis-server (Debian's is built with TLS) that has no plain port.

The certificate is self-signed for 127.0.0.1, made by the test with openssl, and
verified by both sides (ssl_cert_reqs=required with it as the CA): no traffic
leaves loopback, and a client that skipped verification would not be tested.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.scaleout.batches import assert_same_folders, fast_class, finish, grade, local_batch
from tests.scaleout.conftest import RedisServer, Workers, answers_ping, self_signed, started

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("broker")]


@pytest.fixture
def tls_redis(tmp_path: Path) -> Iterator[RedisServer]:
    yield from started(RedisServer(tmp_path / "redis", tls=self_signed(tmp_path / "tls")))


@pytest.mark.timeout(600)
def test_a_tls_broker_with_a_verified_certificate_grades_like_a_local_batch(
        tmp_path: Path, tls_redis: RedisServer) -> None:
    assert tls_redis.url.startswith("rediss://127.0.0.1:")
    assert not answers_ping(tls_redis.port), "the broker also answers unencrypted: the test proves nothing"
    source = fast_class(tmp_path / "class", 4)
    local_batch("tcp_echo", source, tmp_path / "local")
    pool = Workers(tmp_path / "workers", tls_redis.url)
    try:
        pool.start("w1", "--jobs", "2")
        code, _, err = finish(grade("tcp_echo", source, "--out", tmp_path / "broker", "--broker", tls_redis.url,
                                    cwd=tmp_path))
    finally:
        pool.stop_all()
    assert code == 0, err
    assert "through the broker rediss://127.0.0.1" in err and "1 worker(s) seen" in err, err
    assert pool.log("w1").count("graded student") == 4, pool.log("w1")
    assert_same_folders(tmp_path / "broker", tmp_path / "local")


@pytest.mark.timeout(300)
def test_a_certificate_the_orchestrator_does_not_trust_stops_it_at_once_in_one_line(
        tmp_path: Path, tls_redis: RedisServer) -> None:
    untrusted = tls_redis.url.split("?", 1)[0]  # verified against the system's CAs, which never signed it
    source = fast_class(tmp_path / "class", 1)
    code, _, err = finish(grade("tcp_echo", source, "--out", tmp_path / "broker", "--broker", untrusted,
                                cwd=tmp_path), timeout=120)
    assert code == 2, err
    assert "failed TLS" in err and "certificate verify failed" in err and "ssl_ca_certs=" in err, err
    assert "Traceback" not in err and "lost the broker" not in err, err
