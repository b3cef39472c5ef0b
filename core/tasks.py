"""The task worker's heartbeat, and the work of a worker that died.

**Heartbeat.** The clock queues it every minute (``heartbeat_queue``, a tick job), a task worker runs
it and notes the time in the cache, and ``/readyz`` and ``/metrics`` read how long ago that was
(``core.health``): a worker that died, or hangs, stops being seen within minutes even when nobody
queues anything else.

**Work of a worker that died.** A worker killed while it runs a task (out of memory, ``kill -9``, the
machine going down) leaves the task's row *running* in the queue, and the job it was doing (an Excel
import, a planning analysis, a notice's draft) *running* on its page, for ever. ``serve-prod`` gives
each worker it starts an id of its own (``worker_id_for``) and, when one ends, hands its tasks to
``lost_tasks_recover``: each goes back in the queue, its job back to *queued* (every job writes its
results in one transaction at the end, so nothing of the lost run stays), and the next worker runs
it again; a task lost ``LOST_ATTEMPTS`` times (one that kills its worker, say) is failed instead, its
job failed with a reason. Apps say how to put their jobs back with ``when_lost``; a task without
(the heartbeat, refreshing ratings) is simply run again.
"""

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django_tasks import task
from django_tasks.base import TASK_MAX_PRIORITY

from .health import WORKER_SEEN_KEY, uses_database_queue

logger = logging.getLogger(__name__)

# A task whose worker died this many times is not tried again.
LOST_ATTEMPTS = 3
LOST_REASON = gettext_lazy("The background worker stopped %(times)s times while doing this, so it was not tried again. "
                           "Nothing of it was saved; start it again, and tell the administrator if it keeps failing.")


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


# The work of a worker that died -------------------------------------------------------------------

@dataclass(frozen=True)
class LostWork:
    """How an app puts a task's job back (``requeue(*args, **kwargs)``) and fails it
    (``fail(reason, *args, **kwargs)``), called with the task's own arguments."""

    requeue: Callable[..., None]
    fail: Callable[..., None]


LOST_WORK: dict[str, LostWork] = {}


def when_lost(task_function, *, requeue: Callable[..., None], fail: Callable[..., None]) -> None:
    """Declare (in the app's ``tasks.py``) how to put ``task_function``'s job back in the queue and how to fail it."""
    LOST_WORK[task_function.module_path] = LostWork(requeue=requeue, fail=fail)


def worker_id_for(number: int, *, pid: int | None = None) -> str:
    """The id of the ``number``-th worker a ``serve-prod`` starts: this machine, that process, the number."""
    return f"{socket.gethostname()[:40]}:{pid or os.getpid()}:{number}"


def worker_of_dead_supervisor(worker_id: str) -> bool:
    """Whether ``worker_id`` was given by a ``serve-prod`` of this machine that no longer runs (the
    machine restarted, or serve-prod was killed with its workers): its tasks are lost."""
    host, _, rest = worker_id.rpartition(":")[0].partition(":")
    if host != socket.gethostname()[:40] or not rest.isdigit():
        return False
    return not os.path.exists(f"/proc/{rest}")


def lost_tasks_recover(lost: Callable[[str], bool], *, now: datetime | None = None) -> dict[str, int]:
    """Put back in the queue, or fail, the tasks left running by the workers ``lost(worker_id)`` names."""
    from django.utils.module_loading import autodiscover_modules
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    autodiscover_modules("tasks")  # every app's when_lost
    now = now or timezone.now()
    done = {"requeued": 0, "failed": 0}
    with transaction.atomic():
        for result in DBTaskResult.objects.select_for_update().filter(status=TaskResultStatus.RUNNING).order_by("started_at"):
            if not result.worker_ids or not lost(result.worker_ids[-1]):
                continue
            arguments = result.args_kwargs or {}
            args, kwargs = arguments.get("args", []), arguments.get("kwargs", {})
            work = LOST_WORK.get(result.task_path)
            if len(result.worker_ids) < LOST_ATTEMPTS:
                if work is not None:
                    work.requeue(*args, **kwargs)
                result.status, result.started_at = TaskResultStatus.READY, None
                result.save(update_fields=["status", "started_at"])
                done["requeued"] += 1
            else:
                reason = str(LOST_REASON) % {"times": len(result.worker_ids)}
                if work is not None:
                    work.fail(reason, *args, **kwargs)
                result.status, result.finished_at = TaskResultStatus.FAILED, now
                result.exception_class_path, result.traceback = "core.tasks.WorkerLost", reason
                result.save(update_fields=["status", "finished_at", "exception_class_path", "traceback"])
                done["failed"] += 1
    if done["requeued"] or done["failed"]:
        logger.warning("Tasks of a worker that ended: %(requeued)s queued again, %(failed)s failed", done)
    return done
