"""Real races on PostgreSQL: jobs released together in threads, each on a connection of its own."""

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection

from core.errors import ApplicationError

requires_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (run with DATABASE_URL=postgres://...); SQLite has no row locks or triggers",
)


def race(jobs: list[Callable[[], object]]) -> Counter:
    """Run every job in its own thread at the same moment; count what each returned, a refusal as
    ``refused:<code>``, anything else it raised as its type and message (for the assertions to show)."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list = []
    lock = threading.Lock()

    def run(job):
        try:
            barrier.wait(timeout=60)
            try:
                outcome = job()
            except ApplicationError as error:
                outcome = f"refused:{error.code}"
            except Exception as error:
                outcome = f"{type(error).__name__}: {error}"
            with lock:
                outcomes.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return Counter(outcomes)
