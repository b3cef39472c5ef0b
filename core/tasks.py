"""The task worker's heartbeat: the clock queues it every minute (``heartbeat_queue``, a tick job),
a task worker runs it and notes the time in the cache, and ``/readyz`` and ``/metrics`` read how
long ago that was (``core.health``): a worker that died, or hangs, stops being seen within minutes
even when nobody queues anything else."""

import time
from datetime import datetime, timedelta

from django.core.cache import cache
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TASK_MAX_PRIORITY

from .health import WORKER_SEEN_KEY, uses_database_queue


# First in the queue, so that a backlog does not hide a worker that runs. A single task that runs
# longer than WORKER_SEEN_WITHIN still does (the one worker is busy): run two workers, or raise it.
@task(priority=TASK_MAX_PRIORITY)
def worker_heartbeat() -> str:
    cache.set(WORKER_SEEN_KEY, time.time(), timeout=None)
    if uses_database_queue():
        from django_tasks_db.compat import TaskResultStatus
        from django_tasks_db.models import DBTaskResult

        # A row a minute would pile up: keep an hour of them.
        DBTaskResult.objects.filter(task_path=worker_heartbeat.module_path, status=TaskResultStatus.SUCCESSFUL,
                                    finished_at__lt=timezone.now() - timedelta(hours=1)).delete()
    return "seen"


def heartbeat_queue(now: datetime) -> str:
    """Queue the heartbeat unless one already waits (a worker that is down would find a pile)."""
    if uses_database_queue():
        from django_tasks_db.models import DBTaskResult

        if DBTaskResult.objects.ready().filter(task_path=worker_heartbeat.module_path).exists():
            return ""
    worker_heartbeat.enqueue()
    return ""
