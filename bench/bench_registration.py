"""Registration for one popular activity: 200 residents register at once for 50 places, on PostgreSQL.

Every registration goes the whole way a request does — the resident's community, the deadline,
the places one may take, the activity's row locked while its places are counted, the row
inserted, the audit entry written — in its own transaction. Each resident is a client of their
own: a thread with its own database connection, opened beforehand, as a server's workers would
hold; all of them wait at one barrier and are released together. When the server accepts fewer
connections than that (``max_connections``, less those already open and a margin for everyone
else), as many clients as it allows are released together, each registering its share of the
200, and the output says so. The result must be exactly 50 registered and 150 on the waitlist,
with the activity's count matching its rows. The baseline is the same 200 registrations made one
after another by a single client: what the contention costs (or gains). The target is the exact
split and the rush of 200 served within 4 s (50 a second) on this shared 2-core machine.

It refuses to run (exit status 2) where no PostgreSQL is reachable: SQLite runs writing
transactions one at a time, so it would measure no concurrency at all.
"""

import sys
import threading
import time
from datetime import timedelta

from common import build_tree, refuse, report, require_postgres, say, throwaway_database

RESIDENTS, PLACES = 200, 50
# Connections left for everyone else on the server (other tests, psql, this script's own).
CONNECTION_MARGIN = 15


def build():
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from accounts.models import Role, RoleAssignment, User
    from accounts.services import role_assign, user_create

    _city, _district, _streets, (community,) = build_tree(streets=1, communities_per_street=1)
    password = make_password(None)
    users = User.objects.bulk_create([User(username=f"jumin{i:03d}", password=password, display_name=f"居民{i}") for i in range(RESIDENTS)])
    RoleAssignment.objects.bulk_create([RoleAssignment(user=u, role=Role.RESIDENT, division=community) for u in users])
    worker = user_create(actor="bench", username="shequ", password=None, display_name="社区")
    role_assign(actor="bench", user=worker, role=Role.COMMUNITY_WORKER, division=community)
    return community, worker, list(User.objects.filter(username__startswith="jumin").order_by("username")), timezone.now()


def publish(worker, community, title):
    from django.utils import timezone

    from neighbourhood.services import activity_publish

    start = (timezone.localtime() + timedelta(days=5)).replace(hour=19, minute=0, second=0, microsecond=0)
    return activity_publish(actor=worker, community=community, title=title, category="food_recreation", capacity=PLACES,
                            starts_at=start, ends_at=start + timedelta(hours=2), place="社区广场")


def register_all(activity, users) -> list[str]:
    from neighbourhood.services import registration_create

    return [registration_create(actor=user, activity=activity).status for user in users]


def clients_allowed() -> tuple[int, int, int]:
    """How many clients may connect at once: one per resident, unless the server holds fewer
    connections (its max_connections less those open now and the margin). Returns (clients,
    max_connections, open now)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        most = int(cursor.fetchone()[0])
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'")
        open_now = int(cursor.fetchone()[0])
    return max(1, min(RESIDENTS, most - open_now - CONNECTION_MARGIN)), most, open_now


def concurrently(activity, users, clients: int) -> tuple[list[str], float]:
    """``clients`` threads, each connected first, released together at a barrier; each registers its share."""
    from django.db import connection

    shares = [users[i::clients] for i in range(clients)]
    barrier = threading.Barrier(clients + 1)
    results: list[str] = []
    lock = threading.Lock()

    def client(share):
        outcome: list[str] = []
        try:
            connection.ensure_connection()  # connected before the start, as a server's worker is
            barrier.wait(timeout=120)
            outcome = register_all(activity, share)
        except Exception as error:
            outcome = [f"error: {error!r}"]
        finally:
            connection.close()
        with lock:
            results.extend(outcome)

    threads = [threading.Thread(target=client, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    barrier.wait(timeout=120)
    began = time.perf_counter()
    for thread in threads:
        thread.join(timeout=300)
    return results, time.perf_counter() - began


def main() -> int:
    require_postgres("200 registrations racing for 50 places need real concurrent transactions")
    with throwaway_database():
        from django.db import connection

        from neighbourhood.models import Activity, Registration

        if connection.vendor != "postgresql":
            refuse(f"connected to {connection.vendor}, not PostgreSQL")
        clients, most, open_now = clients_allowed()
        say(f"database: PostgreSQL {connection.pg_version // 10000}; {RESIDENTS} residents, {PLACES} places")
        if clients < RESIDENTS:
            say(f"the server takes max_connections={most} with {open_now} open: {clients} clients at once "
                f"(keeping {CONNECTION_MARGIN} for everyone else), each registering {RESIDENTS // clients}–"
                f"{-(-RESIDENTS // clients)} residents in turn, instead of {RESIDENTS} clients of one each")
        else:
            say(f"{clients} clients at once, one resident each")
        community, worker, users = build()[:3]
        warm = publish(worker, community, "预热")
        register_all(warm, users[:20])  # caches, the rule pack
        baseline_activity = publish(worker, community, "依次报名")
        began = time.perf_counter()
        register_all(baseline_activity, users)
        sequential = time.perf_counter() - began
        popular = publish(worker, community, "热门：中秋手工月饼")
        outcomes, seconds = concurrently(popular, users, clients)
        errors = [o for o in outcomes if o.startswith("error")]
        assert not errors, errors[:3]
        assert len(outcomes) == RESIDENTS, len(outcomes)
        registered, waitlisted = outcomes.count("registered"), outcomes.count("waitlisted")
        popular.refresh_from_db()
        rows = Registration.objects.filter(activity=popular, status="registered").count()
        overbooked = rows > PLACES or popular.registered_places > PLACES
        say(f"{registered} registered, {waitlisted} waitlisted, {rows} registered rows, activity counts "
            f"{popular.registered_places}/{popular.capacity} (+{popular.waitlisted_places} waiting); overbooked: {overbooked}")
        assert Activity.objects.filter(pk=popular.pk, registered_places__lte=PLACES).exists()
        exact = registered == PLACES and waitlisted == RESIDENTS - PLACES and rows == PLACES and not overbooked
        rate, sequential_rate = RESIDENTS / seconds, RESIDENTS / sequential
        say(f"{RESIDENTS} at once in {seconds:.2f} s ({rate:.0f}/s); one after another {sequential:.2f} s ({sequential_rate:.0f}/s)")
        ok = report("registration-rush", rate, f"registrations/s ({clients} clients at once; {registered} registered, {waitlisted} "
                    "waitlisted, no overbooking)", rate / sequential_rate, "one client in turn",
                    "exactly 50 + 150, ≥ 50/s (the rush served in 4 s)", exact and rate >= 50)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
