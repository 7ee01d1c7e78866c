"""The one Celery configuration both sides use.

Rules:
  * JSON only, both ways (never pickle): a broker is a trust boundary, and a
    pickle from it would run code on every machine that reads it.
  * Late acknowledgement: a task is acknowledged after it ran, so a worker
    killed mid-task leaves it unacknowledged, and the broker hands it to
    another worker once the visibility timeout has passed. The timeout must
    therefore exceed a submission's deadline, or a slow but healthy run would
    be handed out twice; worker.py refuses a task whose deadline does not fit.
  * One task in hand per worker slot (prefetch 1): a reserved task waits for no
    other one, and a killed worker takes no queue with it.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from grader.errors import ConfigError, UsageError

TASK = "grader.grade"
QUEUE = "grader"
SCHEMES = ("redis", "rediss")
#: What a visibility timeout must leave beyond a task's deadline (unpacking, storing the result,
#: clock skew between the machines), and what a worker's default leaves.
VISIBILITY_MARGIN = 10.0
DEFAULT_MARGIN = 60.0
#: Seconds between the worker's sweeps for tasks a dead worker held (kombu's default is ~100 s).
RESTORE_INTERVAL = 5
#: Results nobody collected (the orchestrator died) expire from the broker after a week.
RESULT_TTL = 7 * 86400
CONNECT_TIMEOUT = 10.0


def check_url(url: str, where: str = "--broker") -> str:
    """The URL, or ConfigError naming what is wrong with it (with its password hidden)."""
    try:
        parts = urllib.parse.urlsplit(url)
        ok = parts.scheme in SCHEMES and bool(parts.hostname) and (parts.port or 0) >= 0
    except ValueError:  # a port that is not a number
        ok = False
    if not ok:
        raise ConfigError(f"{where}: expected redis://[:PASSWORD@]HOST[:PORT][/DB] or rediss://... (TLS), "
                          f"got {redact(url)!r}")
    return url


def redact(url: str) -> str:
    """The URL with its password replaced by ***, for logs and messages."""
    parts = urllib.parse.urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    netloc = f"{userinfo.split(':', 1)[0]}:***@{hostport}"
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def _tls_url(url: str) -> str:
    """rediss:// verifies the server's certificate unless the URL says otherwise (Celery insists on a choice)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "rediss" or "ssl_cert_reqs" in urllib.parse.parse_qs(parts.query):
        return url
    query = "&".join(q for q in (parts.query, "ssl_cert_reqs=required") if q)
    return urllib.parse.urlunsplit(parts._replace(query=query))


def settings(url: str, visibility_timeout: float) -> dict[str, Any]:
    transport = {"visibility_timeout": int(visibility_timeout), "unacked_restore_interval": RESTORE_INTERVAL,
                 "unacked_restore_throttle": 1, "socket_connect_timeout": CONNECT_TIMEOUT}
    return {
        "broker_url": url, "result_backend": url,
        "accept_content": ["json"], "result_accept_content": ["json"],
        "task_serializer": "json", "result_serializer": "json", "event_serializer": "json",
        "task_acks_late": True, "task_reject_on_worker_lost": True, "worker_prefetch_multiplier": 1,
        "task_default_queue": QUEUE, "task_create_missing_queues": True,
        "broker_transport_options": transport, "result_backend_transport_options": transport,
        "result_expires": RESULT_TTL, "redis_socket_connect_timeout": CONNECT_TIMEOUT,
        # A broker that went away mid-task took that task's message with it; the orchestrator sends it
        # again. The task in hand is left to finish: a thread cannot be cancelled (the threads pool
        # raises NotImplementedError, logged with a traceback, when asked to), and its reply, stored in
        # the broker that came back, is what the copy sent again returns (worker.grade_task), or, if
        # the orchestrator recorded and removed it first, that copy grades again to the same grade,
        # which nobody collects (it expires after RESULT_TTL). The
        # worker takes new tasks meanwhile: Celery lowers its prefetch count by the tasks in hand (never
        # below one) and raises it back as they finish.
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        "broker_connection_retry_on_startup": True, "broker_connection_max_retries": None,
        "worker_hijack_root_logger": False, "worker_redirect_stdouts": False, "worker_send_task_events": False, "task_send_sent_event": False,
    }


def make_app(url: str, *, visibility_timeout: float = 3600.0) -> Any:
    """A Celery app on `url` (nothing connects until it is used)."""
    try:
        from celery import Celery
    except ImportError as exc:
        raise UsageError("grading through a broker needs Celery, which is not installed here: "
                         "pip install 'socklab-grader[broker]'") from exc

    url = _tls_url(check_url(url))
    app = Celery("socklab-grader", set_as_current=False)
    app.conf.update(settings(url, visibility_timeout))
    return app


def broker_errors() -> tuple[type[BaseException], ...]:
    """What a lost or unreachable broker raises, on either side of the Celery API."""
    import kombu.exceptions
    import redis.exceptions

    # Not OSError: a full disk while writing a result is not a lost broker.
    return (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, kombu.exceptions.OperationalError)
