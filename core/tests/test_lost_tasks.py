"""The tasks a dead task worker left running (core.tasks.lost_tasks_recover, ``recover_tasks``): back in
the queue with their job queued again, and run to the end by the next worker; failed, with a reason on
the job's page, once they have been lost three times; another worker's tasks untouched."""

import os
import socket
import subprocess

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from core.tasks import LOST_ATTEMPTS, lost_tasks_recover, worker_id_for, worker_of_dead_supervisor
from excel import services
from excel.models import ExcelJob

DEAD, ALIVE = "machine-a:4242:1", "machine-a:4242:2"


def run_worker():
    call_command("db_worker", batch=True, interval=0, startup_delay=False, verbosity=0)


def export_begun_by(world, worker_id: str, *, lost_before: int = 0) -> tuple[ExcelJob, DBTaskResult]:
    """An export as a worker killed in the middle of it leaves it: its task claimed and running, the job running."""
    job = services.excel_export_start(actor=world.users["street_admin"], register_name="org.divisions")
    result = next(r for r in DBTaskResult.objects.filter(task_path="excel.tasks.excel_job_run") if r.args_kwargs["args"] == [job.pk])
    for n in range(lost_before):
        result.worker_ids = [*result.worker_ids, f"machine-a:1:{n}"]
    result.claim(worker_id)
    ExcelJob.objects.filter(pk=job.pk).update(status=ExcelJob.Status.RUNNING)
    return job, result


@pytest.mark.django_db(transaction=True)  # the worker's transactions commit, as in production
def test_a_lost_task_goes_back_in_the_queue_and_the_next_worker_runs_it(world, django_capture_on_commit_callbacks, settings):
    settings.MEDIA_ROOT = settings.BASE_DIR / "var" / "test-media"
    with django_capture_on_commit_callbacks(execute=True):
        lost, lost_result = export_begun_by(world, DEAD)
        other, other_result = export_begun_by(world, ALIVE)
    assert lost_tasks_recover(lambda worker_id: worker_id == DEAD) == {"requeued": 1, "failed": 0}
    lost.refresh_from_db()
    lost_result.refresh_from_db()
    assert (lost.status, lost_result.status) == (ExcelJob.Status.QUEUED, "READY")
    run_worker()
    lost.refresh_from_db()
    other.refresh_from_db()
    other_result.refresh_from_db()
    assert lost.status == ExcelJob.Status.DONE and lost.result, "the next worker ran it to the end"
    assert (other.status, other_result.status) == (ExcelJob.Status.RUNNING, "RUNNING"), "a live worker's task is its own"


@pytest.mark.django_db(transaction=True)
def test_a_task_lost_three_times_fails_with_a_reason_on_its_job(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job, result = export_begun_by(world, DEAD, lost_before=LOST_ATTEMPTS - 1)
    assert lost_tasks_recover(lambda worker_id: worker_id == DEAD) == {"requeued": 0, "failed": 1}
    job.refresh_from_db()
    result.refresh_from_db()
    assert result.status == "FAILED" and result.exception_class_path == "core.tasks.WorkerLost"
    assert job.status == ExcelJob.Status.FAILED
    assert "3" in job.errors[0]["message"] and "不再重试" in job.errors[0]["message"], job.errors


def test_the_workers_of_a_serve_prod_that_no_longer_runs_are_lost():
    assert not worker_of_dead_supervisor(worker_id_for(1)), "this process runs"
    gone = subprocess.Popen(["true"])
    gone.wait()
    assert worker_of_dead_supervisor(worker_id_for(3, pid=gone.pid))
    assert not worker_of_dead_supervisor(f"another-machine:{gone.pid}:3"), "another machine's workers are its own to judge"
    assert not worker_of_dead_supervisor("a3f0c9d2e1b4"), "an id serve-prod did not give"
    assert worker_id_for(2).startswith(f"{socket.gethostname()[:40]}:{os.getpid()}:")


@pytest.mark.django_db
def test_recover_tasks_names_what_it_did_and_asks_for_a_worker(world, capsys):
    call_command("recover_tasks", worker=[DEAD])
    assert "0 queued again, 0 failed" in capsys.readouterr().out
    with pytest.raises(Exception, match="--worker ID"):
        call_command("recover_tasks")
