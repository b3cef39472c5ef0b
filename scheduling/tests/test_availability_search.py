"""The availability search gives exactly what asking each room in turn gives (its rules, hours,
bookings and closures), ranked the same and cut at the same place, at a fixed number of queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from registry.hours import parse_hours
from registry.models import Room, RoomUse
from scheduling import selectors, services
from scheduling.models import HOLDING, Booking, BookingStatus, RoomPolicy

from .conftest import at, make_room

COMMUNITY = "甲市一区一街一社"


def one_room_at_a_time(user, within, start, end, *, minutes, capacity, equipment=(), limit=50):
    """The search as a calendar-per-room system runs it: every room asked for its rules, bookings and closures."""
    start = max(start, timezone.now())
    windows = []
    for room in selectors.room_list(user=user, within=within).filter(capacity__gte=capacity):
        if not set(equipment) <= set(room.equipment):
            continue
        policy = getattr(room, "policy", None) or RoomPolicy(room=room, bookers=services.default_bookers(room.use))
        if not policy.bookable or not services.booker_kinds(user, room, None) & set(policy.bookers):
            continue
        busy = list(Booking.objects.filter(room=room, status__in=HOLDING, starts_at__lt=end, blocked_until__gt=start)
                    .values_list("starts_at", "blocked_until"))
        busy += list(services.closures_between(room, start, end).values_list("starts_at", "ends_at"))
        for window in selectors.free_windows_for(room, policy, start=start, end=end, minutes=max(minutes, policy.min_minutes),
                                                 busy=busy):
            window.score = selectors.window_score(window, capacity=capacity, start=start)
            windows.append(window)
    windows.sort(key=lambda w: (w.score, w.start, w.room.pk))
    return windows[:limit]


def seen(windows) -> list[tuple]:
    return [(w.room.pk, w.start, w.end, w.score, w.start.utcoffset(), w.end.utcoffset()) for w in windows]


def booked(user, room, start, end, *, status=BookingStatus.CONFIRMED, buffer=0):
    """A booking written as it stands (times off the slots included), as imports and old data have them."""
    return Booking.objects.create(room=room, title="活动", starts_at=start, ends_at=end, blocked_until=end + timedelta(minutes=buffer),
                                  status=status, booker=user, attendees=5)


@pytest.fixture
def street(world):
    """Rooms of every kind of rule in one community: sizes 20 to 60, buffers, odd slots, hours of their
    own (up to midnight), rules never set, rooms not open to everyone, closures of a room and of a site."""
    community, worker = world.node(COMMUNITY), world.users["community_worker"]
    plain = make_room(community, name="一号室", capacity=20)
    site = plain.site
    buffered = make_room(community, name="二号室", capacity=20, site=site)
    services.policy_update(actor=worker, room=buffered, data={"buffer_minutes": 15, "slot_minutes": 45, "min_minutes": 90})
    late = make_room(community, name="三号室", capacity=25, site=site)
    Room.objects.filter(pk=late.pk).update(opening_hours=parse_hours("周一至周五 09:30-12:00, 13:00-24:00；周六 10:00-16:00"))
    ruled = make_room(community, name="四号室", capacity=25, site=site, equipment=())
    services.policy_update(actor=worker, room=ruled, data={"bookable_hours": parse_hours("每天 07:00-11:00, 10:00-13:00"),
                                                           "slot_minutes": 60})
    shut = make_room(community, name="五号室", capacity=40, site=site)
    services.policy_update(actor=worker, room=shut, data={"bookable": False})
    departments_only = make_room(community, name="六号室", capacity=40, site=site)
    services.policy_update(actor=worker, room=departments_only, data={"bookers": ["department", "resident"]})
    office = make_room(community, name="七号室", capacity=60, site=site, equipment=("投影仪", "音响"))
    Room.objects.filter(pk=office.pk).update(use=RoomUse.OFFICE)  # staff only, its rules never set
    closed = make_room(community, name="八号室", capacity=60, site=site)
    services.closure_create(actor=worker, site=site, room=closed, start=at(2, 10, 20), end=at(3, 15), reason="检修")
    weekdays = make_room(community, name="九号室", capacity=30, hours="周一至周五 09:00-17:00")
    services.closure_create(actor=worker, site=weekdays.site, room=None, start=at(1, 12), end=at(2, 0), reason="停电")
    make_room(community, name="十号室", capacity=30, site=weekdays.site)
    rooms = [plain, buffered, late, ruled, shut, departments_only, office, closed, weekdays]
    for n, room in enumerate(rooms):
        for day in range(1, 6):
            hour = 8 + (n * 3 + day * 5) % 11
            booked(worker, room, at(day, hour, (n * 7) % 60), at(day, hour + 1 + day % 3, (n * 11) % 60), buffer=15 if room == buffered else 0)
    booked(worker, plain, at(1, 14), at(1, 15), status=BookingStatus.CANCELLED)  # no longer holds the room
    booked(world.users["resident"], plain, at(1, 16), at(1, 17), status=BookingStatus.PENDING)
    return community


NEEDS = [
    {"minutes": 60, "capacity": 1},
    {"minutes": 30, "capacity": 18, "equipment": ["投影仪"]},
    {"minutes": 120, "capacity": 24},
    {"minutes": 45, "capacity": 30, "equipment": ["音响"]},
    {"minutes": 15, "capacity": 200},
]


@pytest.mark.django_db
@pytest.mark.parametrize("need", NEEDS)
@pytest.mark.parametrize("role", ["community_worker", "resident"])
def test_the_search_finds_what_asking_each_room_finds_ranked_the_same(world, street, need, role):
    user = world.users[role]
    for start, end in [(at(1, 0), at(8, 0)), (at(1, 9, 17) + timedelta(seconds=41), at(4, 13, 5)), (at(2, 11), at(2, 19))]:
        everything = one_room_at_a_time(user, street, start, end, limit=10_000, **need)
        assert everything or role == "resident" or need["capacity"] == 200  # the staff find something under 200 people
        for limit in (1, 4, 9, 30, 10_000):
            found = selectors.availability(user=user, within=street, start=start, end=end, limit=limit, **need)
            assert seen(found) == seen(everything[:limit]), (start, end, limit)


@pytest.mark.django_db
def test_closures_buffers_and_slots_shape_the_windows(world, street):
    worker = world.users["community_worker"]
    found = selectors.availability(user=worker, within=street, start=at(1, 0), end=at(8, 0), minutes=30, limit=10_000)
    by_room: dict[str, list] = {}
    for window in found:
        by_room.setdefault(window.room.name, []).append((timezone.localtime(window.start), timezone.localtime(window.end)))
    assert "五号室" not in by_room  # not open for booking
    assert all(start.minute == 0 for start, _end in by_room["四号室"])  # slots of an hour
    assert not any(start < at(3, 15) and end > at(2, 10, 20) for start, end in by_room["八号室"])  # closed then
    assert not any(start < at(2, 0) and end > at(1, 12) for start, end in by_room["十号室"])  # its site is closed
    assert all(start.weekday() < 5 for start, _end in by_room["九号室"])  # its site opens on weekdays only
    assert all(end - start >= timedelta(minutes=90) for start, end in by_room["二号室"])  # its shortest booking


@pytest.mark.django_db
def test_the_search_costs_the_same_queries_for_four_times_the_rooms(world):
    community, worker = world.node(COMMUNITY), world.users["community_worker"]

    def rooms(n: int) -> None:
        site = None
        for size in (20, 30, 40):
            for k in range(n):
                room = make_room(community, name=f"{size}人室{n}-{k}", capacity=size, site=site)
                site = room.site
                booked(worker, room, at(1, 9), at(1, 10))
                services.closure_create(actor=worker, site=site, room=room, start=at(2, 9), end=at(2, 10), reason="检修")

    def count() -> int:
        user = User.objects.get(pk=worker.pk)  # its roles read afresh, as in a request
        with CaptureQueriesContext(connection) as captured:
            found = selectors.availability(user=user, within=community, start=at(1, 8), end=at(3, 21),
                                           minutes=60, capacity=15, limit=500)
            [(w.room.site.division.name, getattr(w.room, "policy", None)) for w in found]  # what the page and the API read of the rooms
        return len(captured)

    rooms(1)
    few = count()
    rooms(4)
    assert count() == few
