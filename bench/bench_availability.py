"""Availability search: "a room for 30 people with a projector next week, anywhere in this street".

Builds a street of 50 communities with 100 sites and 1,000 rooms (sizes 8 to 120 people, a
third with a projector, open 08:00–21:00 every day) and 200,000 bookings spread over 200 days
around today, then times ``scheduling.selectors.availability`` — the search the "find a free
room" page and the API run — for a week, against the per-room loop: asking each room in turn
for its bookings and closures, as a calendar-per-room system does.
"""

import random
import sys
import time
from datetime import datetime, timedelta
from decimal import Decimal

from common import best_of, build_tree, prefer_postgres, report, say, throwaway_database

ROOMS_PER_SITE = 10
SITES = 100
BOOKINGS = 200_000
DAYS = 200
OPEN = {str(day): [["08:00", "21:00"]] for day in range(1, 8)}


def build_street():
    from django.utils import timezone

    from accounts.models import Role
    from accounts.services import role_assign, user_create
    from registry.models import Room, Site
    from scheduling.models import Booking, BookingStatus, RoomPolicy

    rng = random.Random(4)

    _city, _district, (street,), communities = build_tree(streets=1, communities_per_street=50)
    sites = Site.objects.bulk_create([
        Site(division=communities[i // 2], code=f"S{i:03d}", name=f"场所{i}", kind="party_mass_centre", floor_area=Decimal(800),
             ground_floor_area=Decimal(500), property_class="state_admin", property_source="street_owned", opening_hours=OPEN)
        for i in range(SITES)])
    rooms = Room.objects.bulk_create([
        Room(site=site, name=f"房间{j}", area=Decimal(60), capacity=rng.choice([8, 12, 20, 30, 40, 60, 80, 120]),
             equipment=["投影仪", "音响"] if rng.random() < 0.33 else ["音响"])
        for site in sites for j in range(ROOMS_PER_SITE)])
    RoomPolicy.objects.bulk_create([RoomPolicy(room=room, bookers=["staff", "department", "operator", "resident"]) for room in rooms])
    admin = user_create(actor="bench", username="jiedao", password="bench-Passw0rd!", display_name="街道", check_password=False)
    role_assign(actor="bench", user=admin, role=Role.STREET_ADMIN, division=street)

    tz = timezone.get_current_timezone()
    first_day = timezone.localdate() - timedelta(days=DAYS // 2)
    hours = list(range(8, 21))
    per_room_day = BOOKINGS // (len(rooms) * DAYS)
    bookings = []
    for room in rooms:
        for offset in range(DAYS):
            day = first_day + timedelta(days=offset)
            for hour in sorted(rng.sample(hours[:-1], per_room_day)):
                start = datetime(day.year, day.month, day.day, hour, 0, tzinfo=tz)
                end = start + timedelta(minutes=rng.choice([30, 60, 60]))
                bookings.append(Booking(room=room, title="活动", starts_at=start, ends_at=end, blocked_until=end,
                                        status=BookingStatus.CONFIRMED, booker=admin, attendees=10))
        if len(bookings) >= 20_000:
            Booking.objects.bulk_create(bookings, batch_size=5000)
            bookings = []
    Booking.objects.bulk_create(bookings, batch_size=5000)
    return admin, street


def per_room_loop(user, street, start, end, *, minutes, capacity, equipment):
    """Each room asked in turn for its rules, bookings and closures (the baseline)."""
    from scheduling.models import HOLDING, Booking
    from scheduling.selectors import booker_kinds, free_windows_for, room_list, window_score
    from scheduling.services import closures_between

    windows = []
    for room in room_list(user=user, within=street).filter(capacity__gte=capacity).select_related(None).select_related("site"):
        if not set(equipment) <= set(room.equipment):
            continue
        policy = room.policy
        if not policy.bookable or not booker_kinds(user, room, None) & set(policy.bookers):
            continue
        busy = list(Booking.objects.filter(room=room, status__in=HOLDING, starts_at__lt=end, blocked_until__gt=start)
                    .values_list("starts_at", "blocked_until"))
        busy += list(closures_between(room, start, end).values_list("starts_at", "ends_at"))
        for window in free_windows_for(room, policy, start=start, end=end, minutes=minutes, busy=busy):
            window.score = window_score(window, capacity=capacity, start=start)
            windows.append(window)
    windows.sort(key=lambda w: (w.score, w.start, w.room.pk))
    return windows[:50]


def main() -> int:
    prefer_postgres()
    with throwaway_database():
        from django.db import connection
        from django.utils import timezone

        from scheduling.selectors import availability

        say(f"database: {connection.vendor}")
        began = time.perf_counter()
        user, street = build_street()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        say(f"street built: 1,000 rooms, {BOOKINGS:,} bookings in {time.perf_counter() - began:.0f} s")
        monday = timezone.localdate() + timedelta(days=7 - timezone.localdate().weekday())
        start = timezone.make_aware(datetime.combine(monday, datetime.min.time()))
        end = start + timedelta(days=7)
        need = {"minutes": 120, "capacity": 30, "equipment": ["投影仪"]}

        def fresh_user():  # a request loads the user's roles once; so does each timed search
            from accounts.models import User

            return User.objects.get(pk=user.pk)

        found = availability(user=fresh_user(), within=street, start=start, end=end, **need)
        baseline = per_room_loop(fresh_user(), street, start, end, **need)
        assert [(w.room.pk, w.start, w.end) for w in found] == [(w.room.pk, w.start, w.end) for w in baseline], "the two disagree"
        say(f"best window: {found[0].room} {timezone.localtime(found[0].start):%a %H:%M}–{timezone.localtime(found[0].end):%H:%M}, "
            f"{len(found)} windows listed")
        search = best_of(lambda: availability(user=fresh_user(), within=street, start=start, end=end, **need), repeat=7)
        loop = best_of(lambda: per_room_loop(fresh_user(), street, start, end, **need), repeat=3)
        say(f"week search: {search * 1000:.0f} ms set-based, {loop * 1000:.0f} ms per room")
        ratio = loop / search
        ok = report("availability-week", search * 1000, "ms (1,000 rooms, 200,000 bookings)", ratio, "per-room loop",
                    "< 200 ms and ≥ 20x", search < 0.2 and ratio >= 20)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
