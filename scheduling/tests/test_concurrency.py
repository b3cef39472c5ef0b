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
