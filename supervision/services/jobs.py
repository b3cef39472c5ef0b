"""The background side of a notice's draft and an assessment's scores (``models.ComputedInBackground``):
claiming a queued row, writing its progress in short transactions of its own (so the page that
polls it sees them while the task computes), and recording a failure in words a person can act on.

What a task computes is written by its own service in one transaction at the end; these helpers
write only the row's state, never its entries."""

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from core.errors import ApplicationError

from ..models import JobStatus

logger = logging.getLogger(__name__)

Progress = Callable[[str, int], None]


def quiet(stage: str, percent: int) -> None:
    pass


def job_claim(model: type[models.Model], pk: int) -> bool:
    """Mark a queued row running; False when it is not queued (already taken by another worker, or done)."""
    return bool(model.objects.filter(pk=pk, job_status=JobStatus.QUEUED).update(
        job_status=JobStatus.RUNNING, progress=0, stage="", error=""))


def job_reporter(model: type[models.Model], pk: int, also: Progress = quiet) -> Progress:
    """A ``progress(stage, percent)`` that writes the row's stage and percent (at most 99: the
    service's final transaction sets 100) whenever either changes, and passes them on to ``also``."""
    last: list = [None, None]

    def report(stage: str, percent: int) -> None:
        percent = int(max(0, min(99, percent)))
        if [stage, percent] != last:
            last[:] = [stage, percent]
            model.objects.filter(pk=pk, job_status=JobStatus.RUNNING).update(stage=stage, progress=percent)
        also(stage, percent)

    return report


def job_failure(error: Exception) -> str:
    """What a person reads when the task failed: a domain error's own message (with its fields'),
    or a sentence saying nothing was saved, around an unexpected error's own words."""
    if isinstance(error, ApplicationError):
        details = " ".join(str(m) for messages in error.fields.values() for m in messages)
        return f"{error.message} {details}".strip()
    return gettext("The computation failed unexpectedly and nothing of it was saved (%(error)s).") % {
        "error": (str(error) or type(error).__name__)[:300]}


def job_fail(model: type[models.Model], pk: int, message: str) -> None:
    model.objects.filter(pk=pk).update(job_status=JobStatus.FAILED, error=str(message)[:2000], finished_at=timezone.now())


def job_run(model: type[models.Model], pk: int, compute: Callable[[Progress], None], *, progress: Progress = quiet,
            raise_errors: bool = False) -> bool:
    """Run ``compute(report)`` for a queued row: claimed first, its progress reported as it goes,
    marked failed with a readable reason if it raises (``compute`` writes its results in one
    transaction, so nothing of them stays). False when the row was not queued."""
    if not job_claim(model, pk):
        return False
    try:
        compute(job_reporter(model, pk, progress))
    except Exception as error:
        if not isinstance(error, ApplicationError):
            logger.exception("%s %s failed", model.__name__, pk)
        job_fail(model, pk, job_failure(error))
        if raise_errors:
            raise
    return True


def job_enqueue(task, pk: int) -> None:
    """Enqueue ``task`` for the row once the transaction that queued it commits (a task never finds
    a row that is not there yet), to run in the language of the person who asked."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    transaction.on_commit(lambda: task.enqueue(pk, language))
