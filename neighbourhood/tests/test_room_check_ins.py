"""An activity's check-ins and an order's delivery are the check-ins of the room booked for them:
such a booking is not released as a no-show (爽约释放) when the event was held, and is when it was not."""

from datetime import timedelta

import pytest

from audit.models import AuditEvent
from scheduling.models import BookingStatus
from scheduling.services import no_shows_release

from .. import services
from .conftest import agree, at, publish, residents

pytestmark = pytest.mark.django_db


def test_an_activity_with_a_check_in_keeps_its_room(world, worker, community, room):
    activity = publish(worker, community, room=room, days=1, hour=15)
    people = residents(world, 2)
    for person in people:
        services.registration_create(actor=person, activity=activity)
    session = activity.sessions.select_related("booking").get()
    late = session.starts_at + timedelta(minutes=25)  # after the room's grace: the activity's own check-in still counts
    services.check_in_with_code(actor=people[0], activity=activity, code=activity.attendance_code, now=late)
    services.check_in_with_code(actor=people[1], activity=activity, code=activity.attendance_code, now=late + timedelta(minutes=1))
    assert no_shows_release(now=session.ends_at + timedelta(hours=1)) == 0
    session.booking.refresh_from_db()
    assert session.booking.status == BookingStatus.CHECKED_IN and not session.booking.no_show
    assert session.booking.checked_in_at == late and session.booking.checked_in_by == people[0]
    # Checked in once, by the first: the second check-in changed nothing more.
    assert AuditEvent.objects.filter(action="scheduling.booking.checked_in", target_id=str(session.booking.pk)).count() == 1


def test_an_activity_nobody_came_to_is_released_once_it_is_over(world, worker, community, room):
    activity = publish(worker, community, room=room, days=1, hour=15)
    session = activity.sessions.select_related("booking").get()
    assert no_shows_release(now=session.starts_at + timedelta(minutes=30)) == 0  # people may still come while it lasts
    assert no_shows_release(now=session.ends_at + timedelta(minutes=1)) == 1
    session.booking.refresh_from_db()
    assert session.booking.status == BookingStatus.RELEASED and session.booking.no_show


def test_a_check_in_after_the_release_takes_the_booking_back(world, worker, community, room):
    activity = publish(worker, community, room=room, days=1, hour=15)
    person = residents(world, 1)[0]
    registration = services.registration_create(actor=person, activity=activity)
    session = activity.sessions.select_related("booking").get()
    no_shows_release(now=session.ends_at + timedelta(minutes=1))
    services.check_in(actor=worker, session=session, registration=registration, now=session.ends_at + timedelta(hours=2))
    session.booking.refresh_from_db()
    assert session.booking.status == BookingStatus.CHECKED_IN and not session.booking.no_show


@pytest.fixture
def scheduled_order(world, community, room, resident, worker):
    operator = world.organisations["甲市一区一街一社服务中心"]
    service = agree(world, community, operator, name="助浴服务", category="elderly_child", price="30.00")
    order = services.order_place(actor=resident, service=service, title="", details="母亲行动不便")
    services.order_accept(actor=world.users["operator_staff"], order=order, operator=operator)
    services.order_schedule(actor=worker, order=order, room=room, start=at(2, 9), end=at(2, 10))
    order.refresh_from_db()
    return order


def test_a_delivered_order_keeps_its_room(world, scheduled_order):
    booking = scheduled_order.booking
    assert no_shows_release(now=at(2, 9, 30)) == 0  # the delivery is confirmed after the service
    services.order_deliver(actor=world.users["operator_staff"], order=scheduled_order, people_served=1, now=at(2, 9, 50))
    assert no_shows_release(now=at(2, 12)) == 0
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CHECKED_IN and booking.checked_in_by == world.users["operator_staff"]


def test_an_order_delivered_after_its_booking_was_released_takes_it_back(world, scheduled_order):
    assert no_shows_release(now=at(2, 10, 5)) == 1
    services.order_deliver(actor=world.users["operator_staff"], order=scheduled_order, people_served=1, now=at(2, 11))
    scheduled_order.booking.refresh_from_db()
    assert scheduled_order.booking.status == BookingStatus.CHECKED_IN and not scheduled_order.booking.no_show


def test_an_order_never_delivered_is_released_as_a_no_show(world, scheduled_order):
    assert no_shows_release(now=at(2, 10, 5)) == 1
    scheduled_order.booking.refresh_from_db()
    assert scheduled_order.booking.status == BookingStatus.RELEASED and scheduled_order.booking.no_show
