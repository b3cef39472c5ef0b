"""`linli recover_tasks`: the tasks a dead task worker left running go back in the queue (or fail).

``serve-prod`` runs it by itself: when it starts (for workers of an earlier serve-prod on this
machine that no longer runs) and whenever a worker it started ends (for that worker's id). Run it by
hand with ``--worker ID`` for a worker that died on a machine of its own (ids are in the task
queue's admin page). ``core.tasks.lost_tasks_recover`` says what happens to each task.
"""

from django.core.management.base import BaseCommand, CommandError

from core.tasks import lost_tasks_recover, worker_of_dead_supervisor


class Command(BaseCommand):
    help = "Put back in the queue (or fail) the tasks that task workers which died left running."

    def add_arguments(self, parser):
        parser.add_argument("--worker", action="append", default=[], metavar="ID", help="the id of a worker that died (repeatable)")
        parser.add_argument("--dead-supervisors", action="store_true",
                            help="every worker started by a serve-prod of this machine that no longer runs")

    def handle(self, *args, worker, dead_supervisors, **options):
        if not worker and not dead_supervisors:
            raise CommandError("Name the workers that died (--worker ID) or give --dead-supervisors.")
        named = set(worker)
        done = lost_tasks_recover(lambda worker_id: worker_id in named or (dead_supervisors and worker_of_dead_supervisor(worker_id)))
        self.stdout.write(f"tasks of workers that ended: {done['requeued']} queued again, {done['failed']} failed")
