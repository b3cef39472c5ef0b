"""Background tasks of supervision: drafting a notice and scoring a yearly assessment, which take
seconds at a province's scale (ids, not objects; enqueued by the services once the row is committed).

Each runs in the language of the person who asked, so the notice's wording and a failure's reason
read as the page they asked from."""

from django.conf import settings
from django.utils import translation
from django_tasks import task


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
