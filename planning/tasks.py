"""Background tasks of planning: importing a PBF extract and computing a scenario (ids, not objects).

They run in the site's language, so a failure's reason is saved as the pages say it."""

from django.conf import settings
from django.utils import translation
from django_tasks import task

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
