"""The database's statistics on its tables, which its query planner chooses indexes by.

Without them SQLite guesses, and on the demo city's ninety thousand bookings it guesses badly:
it walks every booking of a status instead of the few of a room and a day (a street's "today"
count took 180 ms instead of 4). ``statistics_refresh`` gathers them; it runs after a bulk load
(the demo build) and is worth running after a large Excel import. PostgreSQL's autovacuum keeps
them on its own, but an explicit ANALYZE after a bulk load saves waiting for it.
"""

from django.db import connection

# Rows SQLite samples per index (PRAGMA analysis_limit): enough for the planner, fast on any size.
SQLITE_ANALYSIS_LIMIT = 1000


def statistics_refresh() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
        cursor.execute("ANALYZE")
