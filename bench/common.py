"""What every benchmark shares: a throwaway database, timing, and the one-line report.

Each script measures its own baseline in the same run (the machines are noisy) and ends with
one line per figure:

    bench <name>: <figure> <unit>, <ratio>x vs <baseline>, target <target> -> ok|SHORT

With DATABASE_URL set the benchmark runs on that server (a fresh test database is created
and dropped); otherwise on a temporary SQLite file.
"""

import os
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def setup_django():
    import django

    django.setup()


@contextmanager
def throwaway_database():
    """A fresh, migrated database for the benchmark, removed afterwards."""
    setup_django()
    from django.db import connection

    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        yield name
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)


def best_of(fn, *, repeat: int = 5) -> float:
    """The median of several timings of ``fn()``, in seconds."""
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def report(name: str, figure: float, unit: str, ratio: float, baseline: str, target: str, ok: bool) -> bool:
    print(f"bench {name}: {figure:.3g} {unit}, {ratio:.1f}x vs {baseline}, target {target} -> {'ok' if ok else 'SHORT'}")
    sys.stdout.flush()
    return ok


def say(message: str) -> None:
    print(f"  {message}")
    sys.stdout.flush()
