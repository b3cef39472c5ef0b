"""What every benchmark shares: a throwaway database, timing, and the one-line report.

Each script measures its own baseline in the same run (the machines are noisy) and ends with
one line per figure:

    bench <name>: <figure> <unit>, <ratio>x vs <baseline>, target <target> -> ok|SHORT

The benchmarks that the issues set on PostgreSQL run there: on DATABASE_URL if it is set,
else on the local server at 127.0.0.1:5432 when one answers (a fresh database is created and
dropped); only when no PostgreSQL is reachable do they fall back to SQLite, and say so — except
those that measure concurrency (``require_postgres``), which refuse to run without it.
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
os.environ.setdefault("DEBUG", "0")  # as in production: no query log kept, no debug cursor

LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"


def prefer_postgres() -> None:
    """Use PostgreSQL for this benchmark when one is reachable and none was named."""
    if os.environ.get("DATABASE_URL"):
        return
    import socket

    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
    except OSError:
        print("  (no PostgreSQL on 127.0.0.1:5432: measuring on SQLite)")
        return
    os.environ["DATABASE_URL"] = LOCAL_POSTGRES


def refuse(message: str) -> None:
    """Stop the benchmark before it measures anything, saying why (exit status 2)."""
    print(f"refusing to run: {message}", file=sys.stderr)
    sys.exit(2)


def require_postgres(why: str) -> None:
    """Run on PostgreSQL or not at all: on DATABASE_URL if it names one, else on the local server at
    127.0.0.1:5432. Exits with status 2 and says why when none is reachable (never SQLite)."""
    url = os.environ.get("DATABASE_URL", "")
    if url and not url.startswith(("postgres://", "postgresql://")):
        refuse(f"this benchmark needs PostgreSQL ({why}); DATABASE_URL names another database")
    if not url:
        url = LOCAL_POSTGRES
    import dj_database_url
    import psycopg

    conf = dj_database_url.parse(url)
    try:
        psycopg.connect(host=conf["HOST"] or "127.0.0.1", port=conf["PORT"] or 5432, user=conf["USER"] or None,
                        password=conf["PASSWORD"] or None, dbname=conf["NAME"] or "postgres", connect_timeout=3).close()
    except psycopg.Error as error:
        refuse(f"this benchmark needs PostgreSQL ({why}), and none answers at "
               f"{conf['HOST'] or '127.0.0.1'}:{conf['PORT'] or 5432}: {str(error).strip()}")
    os.environ["DATABASE_URL"] = url


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


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _number(value: float) -> str:
    """A figure as a person reads it: whole above 100 (1234, not 1.23e+03), three digits below."""
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


def report(name: str, figure: float, unit: str, ratio: float, baseline: str, target: str, ok: bool) -> bool:
    ratio_text = f"{ratio:.2f}" if ratio < 10 else f"{ratio:.1f}"
    print(f"bench {name}: {_number(figure)} {unit}, {ratio_text}x vs {baseline}, target {target} -> {'ok' if ok else 'SHORT'}")
    sys.stdout.flush()
    return ok


def say(message: str) -> None:
    print(f"  {message}")
    sys.stdout.flush()


def build_tree(*, streets: int, communities_per_street: int):
    """A city with one district, ``streets`` streets and their communities, written in bulk, with
    the city's rule pack loaded. Returns (city, district, streets, communities)."""
    from org.models import Division
    from rulepack.services import rulepack_ensure

    def node(parent, code, level, depth):
        return Division(code=code, name=code, level=level, parent=parent, path=f"{parent.path if parent else ''}{code}/", depth=depth)

    city = Division.objects.bulk_create([node(None, "350200000000", "city", 0)])[0]
    rulepack_ensure(city=city)
    district = Division.objects.bulk_create([node(city, "350203000000", "district", 1)])[0]
    street_rows = Division.objects.bulk_create([node(district, f"350203{k:03d}000", "street", 2) for k in range(1, streets + 1)])
    communities = Division.objects.bulk_create([node(street, f"{street.code[:9]}{k:03d}", "community", 3)
                                                for street in street_rows for k in range(1, communities_per_street + 1)],
                                               batch_size=5000)
    return city, district, street_rows, communities
