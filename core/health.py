"""Whether this Linli and what it relies on are fit to serve: the readiness checks behind
``/readyz`` and the dependency figures of ``/metrics`` (``core.metrics``).

* ``database`` — a ``SELECT 1`` on the default database;
* ``redis`` — a PING, when ``REDIS_URL`` is set (the cache, the sessions' cache, rate limits);
* ``tasks`` — the oldest task ready to run has waited no longer than ``READY_TASK_MAX_AGE``;
* ``worker`` — a task worker has run the clock's heartbeat within ``WORKER_SEEN_WITHIN``: the
  clock (``linli tick``) queues ``core.tasks.worker_heartbeat`` every minute, and the worker that
  runs it notes the time in the cache, so an idle worker is seen as well as a busy one.

The last two need the database queue of django-tasks-db (``TASKS`` backend); with another
backend they are not checked. Each check answers within seconds whatever is down (the database
and Redis are set to give up connecting after a few seconds).
"""

import logging
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.utils import timezone

WORKER_SEEN_KEY = "linli:worker:heartbeat"
HEARTBEAT_TASK = "core.tasks.worker_heartbeat"


class QuietRoutine(logging.Filter):
    """Leaves out of the log what comes back every minute or at every probe: the task worker's lines
    about the heartbeat (not a failure of it), and Django's line for each 503 of /readyz (whose
    answer says what fails)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.name == "django.request" and getattr(record, "status_code", None) == 503 and message.endswith("/readyz"):
            return False
        return record.levelno >= logging.WARNING or HEARTBEAT_TASK not in message


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""
    figures: dict = field(default_factory=dict)


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]


def database_check() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # whatever stops a query from being answered
        return Check("database", False, _reason(exc))
    return Check("database", True, connection.vendor)


_redis_clients: dict = {}


def redis_check() -> Check | None:
    url = settings.REDIS_URL
    if not url:
        return None
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    client = _redis_clients.get(url)
    if client is None:
        # One try within two seconds: a probe must answer quickly whatever Redis does.
        client = _redis_clients[url] = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2,
                                                            retry=Retry(NoBackoff(), 0))
    try:
        client.ping()
    except Exception as exc:  # noqa: BLE001 (connection refused, timed out, loading, authentication…)
        return Check("redis", False, _reason(exc))
    return Check("redis", True, "PONG")


def uses_database_queue() -> bool:
    return settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"


def queue_figures(now=None) -> dict:
    """How many tasks are ready, running and failed, and how long the oldest ready one has waited (s)."""
    from django.db.models import Count, Min, Q
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult, get_date_max

    now = now or timezone.now()
    never = get_date_max()
    ready = DBTaskResult.objects.ready().aggregate(
        count=Count("pk"), queued=Min("enqueued_at", filter=Q(run_after=never)), due=Min("run_after", filter=~Q(run_after=never)))
    since = min((moment for moment in (ready["queued"], ready["due"]) if moment), default=None)
    others = dict(DBTaskResult.objects.filter(status__in=[TaskResultStatus.RUNNING, TaskResultStatus.FAILED])
                  .values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    return {
        "ready": ready["count"],
        "running": others.get(TaskResultStatus.RUNNING, 0),
        "failed": others.get(TaskResultStatus.FAILED, 0),
        "oldest_ready_age": max(0.0, (now - since).total_seconds()) if since else 0.0,
    }


def tasks_check(figures: dict | None) -> Check | None:
    if not uses_database_queue():
        return None
    if figures is None:
        return Check("tasks", False, "the queue cannot be read without the database")
    age, limit = figures["oldest_ready_age"], settings.READY_TASK_MAX_AGE
    ok = age <= limit
    detail = (f"{figures['ready']} ready, the oldest waiting {age:.0f} s" + ("" if ok else f" (more than {limit} s)")
              if figures["ready"] else "nothing waiting")
    return Check("tasks", ok, detail, figures)


def worker_seen_age() -> float | None:
    """Seconds since a task worker last ran the clock's heartbeat, or None if none has (that the cache knows)."""
    from django.core.cache import cache

    seen = cache.get(WORKER_SEEN_KEY)
    return None if seen is None else max(0.0, time.time() - float(seen))


def worker_check(figures: dict | None = None) -> Check | None:
    if not uses_database_queue():
        return None
    try:
        age = worker_seen_age()
    except Exception as exc:  # noqa: BLE001 (the cache is down: the redis check says so too)
        return Check("worker", False, f"the heartbeat cannot be read: {_reason(exc)}")
    limit = settings.WORKER_SEEN_WITHIN
    busy = f"; {figures['running']} task(s) running" if figures and figures["running"] else ""
    if age is None:
        return Check("worker", False, "no task worker has run the clock's heartbeat yet (are `db_worker` and `tick` "
                                      f"running?){busy}")
    ok = age <= limit
    return Check("worker", ok, f"ran the heartbeat {age:.0f} s ago" + ("" if ok else f" (more than {limit} s){busy}"),
                 {"seen_age": age})


def readiness() -> list[Check]:
    """Every check, in order; a dependency that is not configured is left out."""
    database = database_check()
    figures = None
    if database.ok and uses_database_queue():
        try:
            figures = queue_figures()
        except Exception as exc:  # noqa: BLE001 (the table is missing: not migrated)
            database = Check("database", False, f"the task queue cannot be read: {_reason(exc)}")
    checks = [database, redis_check(), tasks_check(figures), worker_check(figures)]
    return [check for check in checks if check is not None]
