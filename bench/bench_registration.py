"""Registration for one popular activity: 200 residents register at once for 50 places.

Every registration goes the whole way a request does — the resident's community, the deadline,
the places one may take, the activity's row locked while its places are counted, the row
inserted, the audit entry written — in its own transaction. Fifty clients (threads, each with
its own database connection, as a server's workers would hold) start together at a barrier and
make four registrations each. The result must be exactly 50 registered and 150 on the waitlist,
with the activity's count matching its rows. The baseline is the same 200 registrations made one
after another by a single client: what the contention costs (or gains). The target is the
exact split and the rush of 200 served within 4 s (50 a second) on this shared 2-core machine.
"""

import sys
import threading
import time
from datetime import timedelta

from common import build_tree, prefer_postgres, report, say, throwaway_database

RESIDENTS, PLACES, CLIENTS = 200, 50, 50


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


def concurrently(activity, users) -> tuple[list[str], float]:
    from django.db import close_old_connections, connection

    shares = [users[i::CLIENTS] for i in range(CLIENTS)]
    barrier = threading.Barrier(CLIENTS + 1)
    results: list[str] = []
    lock = threading.Lock()

    def client(share):
        try:
            barrier.wait(timeout=60)
            outcome = register_all(activity, share)
        except Exception as error:
            outcome = [f"error: {error!r}"]
        finally:
            close_old_connections()
            connection.close()
        with lock:
            results.extend(outcome)

    threads = [threading.Thread(target=client, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    barrier.wait(timeout=60)
    began = time.perf_counter()
    for thread in threads:
        thread.join(timeout=300)
    return results, time.perf_counter() - began


def main() -> int:
    prefer_postgres()
    with throwaway_database():
        from django.db import connection

        from neighbourhood.models import Activity, Registration

        say(f"database: {connection.vendor}; {RESIDENTS} residents, {PLACES} places, {CLIENTS} clients at once")
        community, worker, users = build()[:3]
        warm = publish(worker, community, "预热")
        register_all(warm, users[:20])  # caches, the rule pack
        baseline_activity = publish(worker, community, "依次报名")
        began = time.perf_counter()
        register_all(baseline_activity, users)
        sequential = time.perf_counter() - began
        popular = publish(worker, community, "热门：中秋手工月饼")
        outcomes, seconds = concurrently(popular, users)
        errors = [o for o in outcomes if o.startswith("error")]
        assert not errors, errors[:3]
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
        ok = report("registration-rush", rate, f"registrations/s ({registered} registered, {waitlisted} waitlisted, no overbooking)",
                    rate / sequential_rate, "one client in turn", "exactly 50 + 150, ≥ 50/s (the rush served in 4 s)", exact and rate >= 50)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
