"""The probes: /healthz (liveness: touches nothing), /readyz (the database, Redis, the task queue and
the worker's heartbeat; a 503 naming what fails, the reasons only to loopback or the bearer of
METRICS_TOKEN) and /metrics (Prometheus's text format, to the same). gunicorn's workers adding up
their figures is tried in tests/test_production_mode.py."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from core.tasks import heartbeat_queue, worker_heartbeat
from tests.servers import free_port

pytestmark = pytest.mark.django_db

STRANGER = "203.0.113.9"


@pytest.fixture
def worker_seen():
    """A task worker has just run the clock's heartbeat."""
    worker_heartbeat.call()


def ready(client, **extra) -> tuple[int, dict]:
    answer = client.get("/readyz", **extra)
    return answer.status_code, answer.json()


def test_healthz_says_ok_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}
    assert "no-store" in answer["Cache-Control"]


def test_readyz_answers_200_when_the_database_the_queue_and_a_worker_are_fine(client, settings, worker_seen):
    status, body = ready(client)
    assert status == 200, body
    assert body["status"] == "ok" and "failed" not in body
    assert body["checks"]["database"] == {"ok": True, "detail": connection.vendor}
    assert body["checks"]["tasks"] == {"ok": True, "detail": "nothing waiting"}
    assert body["checks"]["worker"]["ok"] is True
    assert set(body["checks"]) == {"database", "tasks", "worker"} | ({"redis"} if settings.REDIS_URL else set())


def test_readyz_names_the_worker_until_one_has_run_the_clock_s_heartbeat(client):
    status, body = ready(client)
    assert status == 503
    assert body["status"] == "unavailable" and body["failed"] == ["worker"]
    assert "no task worker has run the clock's heartbeat" in body["checks"]["worker"]["detail"]


def test_readyz_asked_for_some_checks_answers_for_those(client):
    answer = client.get("/readyz", {"only": "database,redis"})
    assert answer.status_code == 200
    assert "worker" not in answer.json()["checks"] and answer.json()["checks"]["database"]["ok"]


def test_readyz_names_the_queue_when_the_oldest_ready_task_has_waited_too_long(client, settings, worker_seen):
    settings.READY_TASK_MAX_AGE = 300
    worker_heartbeat.enqueue()
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(seconds=420))
    status, body = ready(client)
    assert status == 503 and body["failed"] == ["tasks"]
    assert body["checks"]["tasks"]["detail"].startswith("1 ready, the oldest waiting 42")
    assert body["checks"]["tasks"]["detail"].endswith("(more than 300 s)")


def test_readyz_names_redis_when_it_cannot_be_reached(client, settings, worker_seen):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/11"  # nothing listens there
    status, body = ready(client)
    assert status == 503 and body["failed"] == ["redis"]
    assert "Connection refused" in body["checks"]["redis"]["detail"]


def test_readyz_gives_its_reasons_only_to_loopback_or_the_bearer_of_the_token(client, settings):
    status, body = ready(client, REMOTE_ADDR=STRANGER)
    assert status == 503 and body["failed"] == ["worker"]
    assert body["checks"]["worker"] == {"ok": False}
    _, body = ready(client, HTTP_X_FORWARDED_FOR=STRANGER)  # loopback, but through a proxy
    assert body["checks"]["worker"] == {"ok": False}
    settings.METRICS_TOKEN = "h1-metrics-token"
    _, body = ready(client, REMOTE_ADDR=STRANGER, HTTP_AUTHORIZATION="Bearer h1-metrics-token")
    assert "detail" in body["checks"]["worker"]


def test_the_clock_queues_one_heartbeat_at_a_time_and_the_heartbeat_keeps_an_hour_of_itself():
    heartbeat_queue(timezone.now())
    heartbeat_queue(timezone.now())  # the first still waits: a dead worker would find a pile
    heartbeats = DBTaskResult.objects.filter(task_path="core.tasks.worker_heartbeat")
    assert heartbeats.filter(status=TaskResultStatus.READY).count() == 1
    heartbeats.update(status=TaskResultStatus.SUCCESSFUL, finished_at=timezone.now() - timedelta(hours=2))
    worker_heartbeat.enqueue()
    heartbeats.filter(status=TaskResultStatus.READY).update(status=TaskResultStatus.SUCCESSFUL,
                                                            finished_at=timezone.now() - timedelta(minutes=5))
    worker_heartbeat.call()
    assert list(heartbeats.values_list("status", flat=True)) == [TaskResultStatus.SUCCESSFUL]


def test_metrics_count_answers_and_report_each_dependency_and_the_queue(client, worker_seen):
    worker_heartbeat.enqueue()
    DBTaskResult.objects.update(status=TaskResultStatus.FAILED)
    client.get("/healthz")
    client.get("/accounts/login/")
    client.get("/no-such-page/")
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    text = answer.content.decode()
    for line in ('linli_http_requests_total{kind="page",status="2xx"}', 'linli_http_requests_total{kind="page",status="4xx"}',
                 'linli_http_requests_total{kind="probe",status="2xx"}', 'linli_http_request_duration_seconds_bucket{kind="page",le="0.1"}',
                 'linli_up{check="database"} 1.0', 'linli_up{check="worker"} 1.0', "linli_ready 1.0",
                 'linli_tasks{status="ready"} 0.0', 'linli_tasks{status="failed"} 1.0', "linli_tasks_oldest_ready_age_seconds 0.0",
                 "linli_worker_heartbeat_age_seconds "):
        assert line in text, line


def test_metrics_are_refused_to_others_than_loopback_and_the_bearer_of_the_token(client, settings):
    assert client.get("/metrics", REMOTE_ADDR=STRANGER).status_code == 403
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR=STRANGER).status_code == 403
    assert client.get("/metrics", HTTP_X_FORWARDED_PROTO="https").status_code == 403
    settings.METRICS_TOKEN = "h1-metrics-token"
    assert client.get("/metrics", REMOTE_ADDR=STRANGER, HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    answer = client.get("/metrics", REMOTE_ADDR=STRANGER, HTTP_AUTHORIZATION="Bearer h1-metrics-token")
    assert answer.status_code == 200 and b"linli_up" in answer.content


def test_the_log_leaves_out_the_heartbeat_s_lines_and_readyz_s_503s_but_not_their_failures():
    import logging

    from core.health import QuietRoutine

    def record(name, level, message, **extra):
        made = logging.LogRecord(name, level, __file__, 1, message, None, None)
        made.__dict__.update(extra)
        return made

    quiet = QuietRoutine()
    assert not quiet.filter(record("django_tasks", logging.INFO, "Task id=1 path=core.tasks.worker_heartbeat state=RUNNING"))
    assert quiet.filter(record("django_tasks", logging.ERROR, "Task id=1 path=core.tasks.worker_heartbeat state=FAILED"))
    assert quiet.filter(record("django_tasks", logging.INFO, "Task id=2 path=excel.tasks.excel_job_run state=RUNNING"))
    assert not quiet.filter(record("django.request", logging.ERROR, "Service Unavailable: /readyz", status_code=503))
    assert quiet.filter(record("django.request", logging.ERROR, "Service Unavailable: /api/v1/divisions", status_code=503))
    assert worker_heartbeat.priority == 100  # first in the queue, ahead of any backlog
