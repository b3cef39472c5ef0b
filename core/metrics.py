"""``/metrics`` in Prometheus's text format.

Requests are counted by kind (page, api, static, admin, probe) and status class, and timed in a
histogram, by ``core.middleware.MetricsMiddleware``. Under gunicorn each worker is a process of
its own: with ``PROMETHEUS_MULTIPROC_DIR`` set (``config/gunicorn.py`` sets and empties it when
the master starts) every worker writes its figures there and a scrape adds up those of all
workers, the dead ones included, so counts never go back when a worker is replaced. Without it
(``runserver``, tests) the figures are this process's.

At each scrape the dependencies are checked (``core.health``) and reported with the task queue:

    linli_http_requests_total{kind, status}           answers since the start
    linli_http_request_duration_seconds{kind}         a histogram of the time to answer
    linli_up{check}                                   1 when the check passes (database, redis, tasks, worker)
    linli_ready                                       1 when every check passes (/readyz answers 200)
    linli_tasks{status}                               tasks ready, running, failed (the database queue)
    linli_tasks_oldest_ready_age_seconds              how long the oldest ready task has waited
    linli_worker_heartbeat_age_seconds                since a task worker last ran the clock's heartbeat
"""

import os

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

REQUESTS = Counter("linli_http_requests", "HTTP requests answered, by kind of path and status class", ["kind", "status"])
LATENCY = Histogram("linli_http_request_duration_seconds", "Time to answer an HTTP request, by kind of path", ["kind"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))

PROBES = ("/healthz", "/readyz", "/metrics")


def path_kind(path: str) -> str:
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/static/"):
        return "static"
    if path.startswith("/admin/"):
        return "admin"
    if path in PROBES:
        return "probe"
    return "page"


def observe(path: str, status: int, seconds: float) -> None:
    kind = path_kind(path)
    REQUESTS.labels(kind=kind, status=f"{status // 100}xx").inc()
    LATENCY.labels(kind=kind).observe(seconds)


class DependencyCollector:
    """The readiness checks and the task queue, taken when Prometheus scrapes."""

    def __init__(self, checks):
        self.checks = checks

    def collect(self):
        up = GaugeMetricFamily("linli_up", "1 when the readiness check passes", labels=["check"])
        for check in self.checks:
            up.add_metric([check.name], 1 if check.ok else 0)
        yield up
        yield GaugeMetricFamily("linli_ready", "1 when every readiness check passes (/readyz answers 200)",
                                value=1 if all(check.ok for check in self.checks) else 0)
        queue = next((check.figures for check in self.checks if check.name == "tasks" and check.figures), None)
        if queue:
            tasks = GaugeMetricFamily("linli_tasks", "Tasks in the database queue, by status", labels=["status"])
            for status in ("ready", "running", "failed"):
                tasks.add_metric([status], queue[status])
            yield tasks
            yield GaugeMetricFamily("linli_tasks_oldest_ready_age_seconds", "How long the oldest task ready to run has waited",
                                    value=queue["oldest_ready_age"])
        worker = next((check.figures for check in self.checks if check.name == "worker" and check.figures), None)
        if worker:
            yield GaugeMetricFamily("linli_worker_heartbeat_age_seconds", "Since a task worker last ran the clock's heartbeat",
                                    value=worker["seen_age"])


def exposition(checks) -> tuple[bytes, str]:
    """The text a scrape reads, and its content type."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUESTS)
        registry.register(LATENCY)
    registry.register(DependencyCollector(checks))
    return generate_latest(registry), CONTENT_TYPE_PLAIN_0_0_4
