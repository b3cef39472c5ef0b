"""Background tasks of planning: importing a PBF extract and computing a scenario (ids, not objects).

They run in the site's language, so a failure's reason is saved as the pages say it."""

from django.conf import settings
from django.utils import timezone, translation
from django_tasks import task

from core.tasks import when_lost

from .models import JobStatus, Network, Scenario
from .progress import progress_clear, progress_set


@task()
def network_import_task(network_id: int, upload: str) -> str:
    from .services import network_import_run

    with translation.override(settings.LANGUAGE_CODE):
        network = network_import_run(network_id=network_id, upload=upload,
                                     progress=lambda stage, percent: progress_set("network", network_id, stage=stage,
                                                                                  percent=percent))
    progress_clear("network", network_id)
    return network.status


@task()
def scenario_task(scenario_id: int) -> str:
    from .services import scenario_run

    with translation.override(settings.LANGUAGE_CODE):
        return scenario_run(scenario_id=scenario_id).status



# A worker that died while it ran one of these (core.tasks): the job goes back to queued, or fails.

def _requeued(model, kind: str):
    def requeue(pk: int, *args, **kwargs) -> None:
        model.objects.filter(pk=pk, status=JobStatus.RUNNING).update(status=JobStatus.QUEUED)
        progress_clear(kind, pk)
    return requeue


def _failed(model):
    def fail(reason: str, pk: int, *args, **kwargs) -> None:
        model.objects.filter(pk=pk).update(status=JobStatus.FAILED, error=reason[:2000], finished_at=timezone.now())
    return fail


when_lost(network_import_task, requeue=_requeued(Network, "network"), fail=_failed(Network))
when_lost(scenario_task, requeue=_requeued(Scenario, "scenario"), fail=_failed(Scenario))
