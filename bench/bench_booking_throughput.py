"""Booking throughput: bookings made one after another through ``scheduling.services.booking_create``.

Each booking goes the whole way a request does — the room's rules, who may book, closures,
the check for overlaps, the row inserted under the exclusion constraint and the audit entry
written — all or nothing (on PostgreSQL one statement inserts the booking if the room is free and
its audit entry with it). A tenth of the attempts ask for a slot that is already taken
and are refused (a conflict is checked, not assumed). The requests run in as many processes
as the machine has cores, as a server's workers would take them; the figure for one process
alone is printed too. The baseline is the same rows written with a bare ``INSERT`` each in its
own transaction (autocommit: INSERT + commit), no rules and no checks, by the same processes on
the same database in the same run: what the rules cost.

The figure is judged as a ratio to that baseline (target ≥ 0.5×), not as an absolute rate: a
commit waits for the disk to confirm the write, so how many a second this machine's disk allows
decides both rates, and the ratio says what the booking adds. The rate counts every request
answered (booked or refused as taken), as a server's would.

    bench booking-throughput: <n> bookings/s, <ratio>x vs bare INSERT+commit, target >= 0.5x -> ok|SHORT
"""

import multiprocessing
import os
import random
import sys
import time
from datetime import datetime, timedelta
from decimal import Decimal

from common import build_tree, prefer_postgres, report, say, throwaway_database

ROOMS = 200
ATTEMPTS = 4000
TARGET_RATIO = 0.5
OPEN = {str(day): [["08:00", "21:00"]] for day in range(1, 8)}


def build_rooms():
    from accounts.models import Role
    from accounts.services import role_assign, user_create
    from registry.models import Room, Site
    from scheduling.services import policy_for

    _city, _district, _streets, (community,) = build_tree(streets=1, communities_per_street=1)
    sites = Site.objects.bulk_create([
        Site(division=community, code=f"S{i:03d}", name=f"场所{i}", kind="party_mass_centre", floor_area=Decimal(800),
             ground_floor_area=Decimal(500), property_class="state_admin", property_source="street_owned", opening_hours=OPEN)
        for i in range(ROOMS // 10)])
    rooms = Room.objects.bulk_create([Room(site=site, name=f"房间{j}", area=Decimal(60), capacity=40) for site in sites for j in range(10)])
    for room in rooms:
        policy_for(room)
    worker = user_create(actor="bench", username="shequ", password="bench-Passw0rd!", display_name="社区", check_password=False)
    role_assign(actor="bench", user=worker, role=Role.COMMUNITY_WORKER, division=community)
    return worker, list(Room.objects.select_related("site__division", "policy").order_by("pk"))


def requests(rooms, count: int):
    """``count`` requests for one-hour slots in the coming weeks; about one in ten collides."""
    from django.utils import timezone

    rng = random.Random(9)
    tz = timezone.get_current_timezone()
    first = timezone.localdate() + timedelta(days=1)
    asked, made = [], []
    for _ in range(count):
        if made and rng.random() < 0.1:
            asked.append(rng.choice(made))  # someone else wants a slot that is already booked
            continue
        while True:
            day = first + timedelta(days=rng.randrange(50))
            slot = (rng.choice(rooms), datetime(day.year, day.month, day.day, rng.randrange(8, 20), tzinfo=tz))
            if slot not in made:
                break
        made.append(slot)
        asked.append(slot)
    return asked


def through_services(worker, slots) -> tuple[int, int]:
    from core.errors import Conflict
    from scheduling.services import booking_create

    booked = refused = 0
    for room, start in slots:
        try:
            booking_create(actor=worker, room=room, start=start, end=start + timedelta(hours=1), title="活动", attendees=10)
            booked += 1
        except Conflict:
            refused += 1
    return booked, refused


def bare_inserts(worker, slots) -> tuple[int, int]:
    from scheduling.models import Booking, BookingStatus

    for room, start in slots:
        Booking.objects.create(room=room, title="活动", starts_at=start, ends_at=start + timedelta(hours=1),
                               blocked_until=start + timedelta(hours=1), status=BookingStatus.CONFIRMED, booker=worker, attendees=10)
    return len(slots), 0


def _worker(job):
    """One server process: its own connection, its share of the requests, started together."""
    how, worker_pk, share, start_line = job
    from django.db import connection

    from accounts.models import User
    from registry.models import Room

    connection.close()
    worker = User.objects.get(pk=worker_pk)
    rooms = Room.objects.select_related("site__division", "policy").in_bulk({pk for pk, _start in share})
    requests_ = [(rooms[pk], start) for pk, start in share]
    start_line.wait()
    began = time.monotonic()
    booked, refused = (through_services if how == "services" else bare_inserts)(worker, requests_)
    return booked, refused, began, time.monotonic()


def in_processes(how: str, worker, slots, processes: int) -> tuple[int, int, float]:
    """Run the requests in ``processes`` processes at once; (booked, refused, seconds)."""
    from django.db import connection

    connection.close()  # each process opens its own
    context = multiprocessing.get_context("fork")
    with context.Manager() as manager, context.Pool(processes) as pool:
        start_line = manager.Barrier(processes)
        jobs = [(how, worker.pk, [(room.pk, start) for room, start in slots[i::processes]], start_line) for i in range(processes)]
        results = pool.map(_worker, jobs)
    return (sum(r[0] for r in results), sum(r[1] for r in results),
            max(r[3] for r in results) - min(r[2] for r in results))


def main() -> int:
    prefer_postgres()
    with throwaway_database():
        from django.db import connection

        from scheduling.models import Booking

        processes = max(2, os.cpu_count() or 2)
        say(f"database: {connection.vendor}; {processes} server processes (one per core)")
        worker, rooms = build_rooms()
        slots = requests(rooms, ATTEMPTS)
        unique = list(dict.fromkeys(slots))
        through_services(worker, slots[:200])  # warm up: caches, the rule pack
        Booking.objects.all().delete()
        began = time.perf_counter()
        through_services(worker, slots[:1000])
        say(f"one process alone: {1000 / (time.perf_counter() - began):.0f} bookings/s")
        Booking.objects.all().delete()
        booked, refused, seconds = in_processes("services", worker, slots, processes)
        assert booked == len(unique) and refused == len(slots) - len(unique), (booked, refused)
        assert Booking.objects.count() == booked, "a slot was booked twice"
        Booking.objects.all().delete()
        _booked, _refused, bare_seconds = in_processes("bare", worker, unique, processes)
        rate, bare_rate = len(slots) / seconds, len(unique) / bare_seconds
        say(f"{booked} booked and {refused} refused as taken in {seconds:.2f} s ({rate:.0f} requests/s: the rules, the "
            f"overlap check, the constraint and the audit entry); bare INSERT+commit {bare_rate:.0f}/s")
        ratio = rate / bare_rate
        ok = report("booking-throughput", rate, "bookings/s", ratio, "bare INSERT+commit", f">= {TARGET_RATIO}x",
                    ratio >= TARGET_RATIO)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
