"""Every page of the demo city, as every demo account, on SQLite and on PostgreSQL: the page budget.

Builds the demo city (泉溪市: 405 communities, 5,800 rooms, ten weeks of bookings, funds,
agreements, activities) in a fresh database of each kind, signs in as each demo account and
walks every page reachable from the menus, dashboards and lists (``tests.crawl.walk``: every
link and htmx fragment, each URL pattern at most twice per account). The thirty slowest pages
are then opened three times more and their median kept, so one noisy moment does not decide.

The budget is every page under 500 ms of server time and under 500 KB of HTML. The baseline,
measured in the same run on the same database, is the sign-in page: Django's middleware, the
page shell and the session, with no module's work — what a page costs before it does anything.
Each database ends with two lines (the slowest page's time, the largest page's size) and the
slowest ten pages are listed above them.

Run with ``--database sqlite`` or ``--database postgres`` to measure one; by default both, each
in a process of its own (the settings are read once per process).
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time

from common import LOCAL_POSTGRES, report, say

BUDGET_MS, BUDGET_KB = 500, 500
RETIME, REPEATS = 30, 3


def measure(database: str) -> bool:
    from common import setup_django

    setup_django()
    from django.core.management import call_command
    from django.test import Client

    from accounts.models import User
    from demo.builders import build_demo_city
    from tests.crawl import DEMO_ACCOUNTS, walk

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    build_demo_city(seed=2026, verbose=False)
    say(f"{database}: demo city built in {time.perf_counter() - started:.0f} s")

    clients, pages = {}, []
    for account in DEMO_ACCOUNTS:
        client = Client()
        client.force_login(User.objects.get(username=account))
        clients[account] = client
        walked = walk(client=client, account=account, keep_text=False).pages
        pages += [p for p in walked if p.status == 200]
        say(f"{database}: {account}: {len(walked)} pages")

    def timed(client, url) -> float:
        began = time.perf_counter()
        client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        return time.perf_counter() - began

    for page in sorted(pages, key=lambda p: -p.seconds)[:RETIME]:
        page.seconds = statistics.median([page.seconds] + [timed(clients[page.account], page.url) for _ in range(REPEATS)])
    anonymous = Client()
    timed(anonymous, "/accounts/login/")
    bare_ms = statistics.median(timed(anonymous, "/accounts/login/") for _ in range(20)) * 1000
    bare_kb = len(anonymous.get("/accounts/login/").content) / 1024

    say(f"{database}: {len(pages)} pages opened as {len(DEMO_ACCOUNTS)} accounts; the slowest ten:")
    for page in sorted(pages, key=lambda p: -p.seconds)[:10]:
        say(f"  {page.seconds * 1000:7.0f} ms {page.size / 1024:6.0f} KB {page.queries:4d} queries  {page.account} {page.url}")
    over = [p for p in pages if p.seconds * 1000 >= BUDGET_MS or p.size / 1024 >= BUDGET_KB]
    for page in over:
        say(f"  over budget: {page.account} {page.url} ({page.seconds * 1000:.0f} ms, {page.size / 1024:.0f} KB)")
    slowest = max(pages, key=lambda p: p.seconds)
    largest = max(pages, key=lambda p: p.size)
    slow_ms, large_kb = slowest.seconds * 1000, largest.size / 1024
    ok_time = report(f"pages-time-{database}", slow_ms, f"ms slowest of {len(pages)} pages ({slowest.account} {slowest.url})",
                     slow_ms / bare_ms, f"the sign-in page ({bare_ms:.0f} ms)", f"every page < {BUDGET_MS} ms",
                     slow_ms < BUDGET_MS)
    ok_size = report(f"pages-size-{database}", large_kb, f"KB largest ({largest.account} {largest.url})",
                     large_kb / bare_kb, f"the sign-in page ({bare_kb:.0f} KB)", f"every page < {BUDGET_KB} KB",
                     large_kb < BUDGET_KB)
    return ok_time and ok_size


def run_one(database: str) -> int:
    """Measure on a fresh database of that kind, then remove it."""
    with tempfile.TemporaryDirectory(prefix="linli-bench-pages-") as scratch:
        os.environ["CACHE_DIR"] = os.path.join(scratch, "cache")
        os.environ["MEDIA_ROOT"] = os.path.join(scratch, "media")
        if database == "sqlite":
            os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/demo.sqlite3"
            return 0 if measure(database) else 1
        import psycopg

        name = f"linli_bench_pages_{os.getpid()}"
        admin_url = os.environ.get("BENCH_POSTGRES_URL", LOCAL_POSTGRES)
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = admin_url.rsplit("/", 1)[0] + f"/{name}"
        try:
            return 0 if measure(database) else 1
        finally:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> int:
    if "--database" in sys.argv:
        return run_one(sys.argv[sys.argv.index("--database") + 1])
    status = 0
    for database in ("sqlite", "postgres"):
        status |= subprocess.call([sys.executable, __file__, "--database", database])
    return status


if __name__ == "__main__":
    sys.exit(main())
