"""The background task that runs an Excel import or export and records its progress."""

import io
import logging

from django.core.files.base import ContentFile
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task
from openpyxl import load_workbook

from core.tasks import when_lost

from .models import ExcelJob
from .progress import progress_clear, progress_set
from .registers import (
    MAX_ERRORS_LISTED,
    ImportRejected,
    export_sheets,
    get_register,
    import_workbook,
    row_error,
)
from .workbooks import write_error_report, write_workbook

logger = logging.getLogger(__name__)


def _progress(job: ExcelJob, done: int) -> None:
    progress_set(job.pk, done=done, total=job.rows_total)


def _estimate_rows(job: ExcelJob) -> int:
    with job.upload.open("rb") as stream:
        try:
            workbook = load_workbook(stream, read_only=True)
            rows = sum(max(0, (sheet.max_row or 1) - 1) for sheet in workbook.worksheets)
            workbook.close()
            return rows
        except Exception:
            return 0


@task()
def excel_job_run(job_id: int) -> str:
    job = ExcelJob.objects.select_related("requested_by").get(pk=job_id)
    if job.status != ExcelJob.Status.QUEUED:
        return job.status
    with translation.override(job.language):
        return _run(job)


def _stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d-%H%M")


def _listed(errors: list[dict]) -> list[dict]:
    """The problems kept on the job: the first thousand, and how many more there are."""
    if len(errors) <= MAX_ERRORS_LISTED:
        return errors
    more = row_error(0, None, _("… and %(n)s more problems: see the marked workbook.") % {"n": len(errors) - MAX_ERRORS_LISTED})
    return errors[:MAX_ERRORS_LISTED] + [more]


def _reject(job: ExcelJob, reg, rejected: ImportRejected) -> None:
    """Record a refused import: its counts, its problems, and the uploaded workbook with the bad cells marked."""
    job.status = ExcelJob.Status.FAILED
    job.summary = rejected.summary
    if any(error["row"] > 0 for error in rejected.errors):
        buffer = io.BytesIO()
        try:
            with job.upload.open("rb") as source:
                write_error_report(source, buffer, reg, rejected.errors, user=job.requested_by)
        except Exception:  # the marked copy is a help; the problems are listed on the job without it
            logger.exception("The marked workbook of Excel job %s could not be written", job.pk)
        else:
            job.result.save(f"{reg.name}-problems-{_stamp()}.xlsx", ContentFile(buffer.getvalue()), save=False)
    job.errors = _listed(rejected.errors)


def _run(job: ExcelJob) -> str:
    ExcelJob.objects.filter(pk=job.pk).update(status=ExcelJob.Status.RUNNING, started_at=timezone.now())
    reg = get_register(job.register)
    user = job.requested_by
    try:
        if job.direction == ExcelJob.Direction.EXPORT:
            total, sheets = export_sheets(reg, user=user, params=job.params)
            job.rows_total = total
            ExcelJob.objects.filter(pk=job.pk).update(rows_total=total)
            buffer = io.BytesIO()
            count = write_workbook(buffer, sheets, user=user, progress=lambda n: _progress(job, n))
            job.result.save(f"{reg.name}-{_stamp()}.xlsx", ContentFile(buffer.getvalue()), save=False)
            job.summary = {"rows": count}
            job.rows_done = count
        else:
            job.rows_total = _estimate_rows(job)
            ExcelJob.objects.filter(pk=job.pk).update(rows_total=job.rows_total)
            with job.upload.open("rb") as stream:
                job.summary = import_workbook(stream, reg, actor=user, params=job.params, progress=lambda n: _progress(job, n))
            job.rows_done = job.summary.get("rows", 0)
        job.status = ExcelJob.Status.DONE
        job.progress = 100
    except ImportRejected as rejected:
        _reject(job, reg, rejected)
    except Exception as error:  # the job records the failure; the worker carries on
        logger.exception("Excel job %s failed", job.pk)
        job.status = ExcelJob.Status.FAILED
        job.errors = [row_error(0, None, _("The job failed unexpectedly: %(error)s") % {"error": error})]
    job.finished_at = timezone.now()
    progress_clear(job.pk)
    job.save(update_fields=["status", "progress", "rows_total", "rows_done", "result", "errors", "summary", "finished_at"])
    return job.status


# A worker that died while it ran a job (core.tasks): the job goes back to queued, or fails.

def _requeue(job_id: int, *args, **kwargs) -> None:
    ExcelJob.objects.filter(pk=job_id, status=ExcelJob.Status.RUNNING).update(
        status=ExcelJob.Status.QUEUED, started_at=None, progress=0, rows_done=0)
    progress_clear(job_id)


def _fail(reason: str, job_id: int, *args, **kwargs) -> None:
    ExcelJob.objects.filter(pk=job_id).update(status=ExcelJob.Status.FAILED, errors=[row_error(0, None, reason)],
                                              finished_at=timezone.now())


when_lost(excel_job_run, requeue=_requeue, fail=_fail)
