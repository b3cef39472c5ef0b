from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self):
        from . import lookups  # noqa: F401  (registers the "under" lookup for tree paths)
        from .tasks import heartbeat_queue
        from .ticks import tick_job

        # Every minute the clock queues a heartbeat for the task worker (core.health's "worker" check).
        tick_job("worker heartbeat", heartbeat_queue)
