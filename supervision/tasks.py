"""Background tasks of supervision: drafting a notice and scoring a yearly assessment, which take
seconds at a province's scale (ids, not objects; enqueued by the services once the row is committed).

Each runs in the language of the person who asked, so the notice's wording and a failure's reason
read as the page they asked from."""

from django.conf import settings
from django.utils import translation
from django_tasks import task

from core.tasks import when_lost

from .models import Assessment, JobStatus, Notice


@task()
def notice_draft_task(notice_id: int, language: str = "") -> str:
    from .services import notice_draft_run

    with translation.override(language or settings.LANGUAGE_CODE):
        return notice_draft_run(notice_id=notice_id).job_status


@task()
def assessment_score_task(assessment_id: int, language: str = "") -> str:
    from .services import assessment_score_run

    with translation.override(language or settings.LANGUAGE_CODE):
        return assessment_score_run(assessment_id=assessment_id).job_status


# A worker that died while it ran one of these (core.tasks): the job goes back to queued, or fails.

def _requeued(model):
    def requeue(pk: int, *args, **kwargs) -> None:
        model.objects.filter(pk=pk, job_status=JobStatus.RUNNING).update(job_status=JobStatus.QUEUED, progress=0, stage="")
    return requeue


def _failed(model):
    def fail(reason: str, pk: int, *args, **kwargs) -> None:
        from .services.jobs import job_fail

        job_fail(model, pk, reason)
    return fail


when_lost(notice_draft_task, requeue=_requeued(Notice), fail=_failed(Notice))
when_lost(assessment_score_task, requeue=_requeued(Assessment), fail=_failed(Assessment))
