"""Live progress of a running Excel job, kept in the cache.

An import writes inside one long transaction, so progress written to the database would stay
invisible until the end (and on SQLite would wait for the import's own lock). The cache is
shared by the web server and the worker (Redis in production, a file cache otherwise).
"""

from django.core.cache import cache

TTL_SECONDS = 6 * 3600


def _key(job_id: int) -> str:
    return f"excel-job-progress:{job_id}"


def progress_set(job_id: int, *, done: int, total: int) -> None:
    cache.set(_key(job_id), {"rows_done": done, "rows_total": total}, TTL_SECONDS)


def progress_get(job_id: int) -> dict | None:
    return cache.get(_key(job_id))


def progress_clear(job_id: int) -> None:
    cache.delete(_key(job_id))
