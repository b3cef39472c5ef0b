"""Jobs the clock runs: each module registers what must happen without anyone asking (a lapsed
hold expires, a no-show is released, last month's figures are kept) with ``tick_job(...)`` from
its ``AppConfig.ready()``; ``linli tick`` runs them all, once or every so many seconds (cron or a
systemd timer in production; ``linli serve`` runs it every minute in development). A job is
cheap when there is nothing to do and safe to run again: it decides for itself whether it is due.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TickJob:
    name: str
    run: Callable[[datetime], str]  # (now) -> what it did, in a few words ("" for nothing)


TICK_JOBS: list[TickJob] = []


def tick_job(name: str, run: Callable[[datetime], str]) -> None:
    TICK_JOBS.append(TickJob(name, run))


def tick(now: datetime) -> list[tuple[str, str]]:
    """Run every job once; what each did."""
    return [(job.name, job.run(now)) for job in TICK_JOBS]
