"""No room is ever double-booked, however many people ask at once (PostgreSQL, real threads)."""


import pytest

from core.errors import Conflict
from scheduling import services
from scheduling.models import Booking, BookingStatus
from tests.concurrency import race, requires_postgresql
from tests.world import make_user

from .conftest import at, make_room

pytestmark = requires_postgresql

REQUESTS = 60


@pytest.mark.django_db(transaction=True)
def test_sixty_people_asking_for_one_slot_get_exactly_one_booking(world):
    room = make_room(world.node("甲市一区一街一社"))
    residents = [make_user(f"racer{i}", role="resident", division=world.node("甲市一区一街一社")) for i in range(REQUESTS)]
    start, end = at(1, 14), at(1, 16)

    def ask(user):
        def job() -> str:
            try:
                services.booking_create(actor=user, room=room, start=start, end=end, title=f"{user.username}的活动")
                return "booked"
            except Conflict:
                return "refused"
        return job

    outcomes = race([ask(user) for user in residents])
    assert sorted(outcomes) == ["booked", "refused"], outcomes
    assert outcomes["booked"] == 1 and outcomes["refused"] == REQUESTS - 1
    assert Booking.objects.filter(room=room, status=BookingStatus.CONFIRMED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_database_itself_refuses_an_overlap(world):
    """Even a write that skips the service cannot overlap: the exclusion constraint stands behind it."""
    from django.db import IntegrityError

    room = make_room(world.node("甲市一区一街一社"))
    user = world.users["community_worker"]
    Booking.objects.create(room=room, title="a", starts_at=at(1, 9), ends_at=at(1, 10), blocked_until=at(1, 10),
                           status=BookingStatus.CONFIRMED, booker=user)
    with pytest.raises(IntegrityError):
        Booking.objects.create(room=room, title="b", starts_at=at(1, 9, 30), ends_at=at(1, 11), blocked_until=at(1, 11),
                               status=BookingStatus.CONFIRMED, booker=user)
    Booking.objects.create(room=room, title="c", starts_at=at(1, 9, 30), ends_at=at(1, 11), blocked_until=at(1, 11),
                           status=BookingStatus.CANCELLED, booker=user)


@pytest.mark.django_db(transaction=True)
def test_a_booking_the_database_cancels_to_break_a_deadlock_is_refused_as_taken(world):
    """Two transactions each writing a booking the other overlaps wait for each other; PostgreSQL
    cancels one. The person whose booking was cancelled reads that the time is taken, not an error,
    and the other transaction's bookings stand."""
    import threading

    from django.db import connection, transaction

    room = make_room(world.node("甲市一区一街一社"))
    worker = user = world.users["community_worker"]
    first_held, second_held, other_done = threading.Event(), threading.Event(), []

    def other():
        """Holds Monday 9:00 first, then waits for this test's 10:00 (never the one to give up)."""
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL deadlock_timeout = '60s'")
                Booking.objects.create(room=room, title="先到", starts_at=at(1, 9), ends_at=at(1, 10), blocked_until=at(1, 10),
                                       status=BookingStatus.CONFIRMED, booker=user)
                first_held.set()
                second_held.wait(timeout=30)
                Booking.objects.create(room=room, title="后到", starts_at=at(1, 10), ends_at=at(1, 11), blocked_until=at(1, 11),
                                       status=BookingStatus.CONFIRMED, booker=user)
            other_done.append("committed")
        finally:
            connection.close()

    thread = threading.Thread(target=other)
    thread.start()
    assert first_held.wait(timeout=30)
    with pytest.raises(Conflict) as refused, transaction.atomic():
        Booking.objects.create(room=room, title="本人", starts_at=at(1, 10), ends_at=at(1, 11), blocked_until=at(1, 11),
                               status=BookingStatus.CONFIRMED, booker=worker)
        second_held.set()
        # The other transaction now waits for this one's 10:00; this booking of 9:00 waits for it.
        services.booking_create(actor=worker, room=room, start=at(1, 9), end=at(1, 10), title="议事会")
    thread.join(timeout=60)
    assert refused.value.code == "already_booked" and str(refused.value.message) == "该时段刚刚被他人预约。"
    assert other_done == ["committed"]
    assert sorted(Booking.objects.filter(room=room).values_list("title", flat=True)) == sorted(["先到", "后到"])
