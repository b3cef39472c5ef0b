"""Activities and courses: publishing with room bookings, registration, waitlist, cancellation,
check-in and person-times."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from core.errors import Conflict, PermissionDenied, ValidationFailed
from notifications.models import Notification
from scheduling.models import Booking, BookingStatus
from tests.world import make_user

from .. import selectors, services
from ..models import Activity, Attendance, Registration, RegistrationStatus
from .conftest import at, publish, residents

pytestmark = pytest.mark.django_db


def test_a_one_off_activity_books_its_room(worker, community, room):
    activity = publish(worker, community, room=room)
    session = activity.sessions.get()
    assert session.booking.room == room and session.booking.status == BookingStatus.CONFIRMED
    assert session.booking.kind == "activity" and activity.kind == "one_off"
    assert activity.registration_closes_at == activity.starts_at - timedelta(hours=2)  # the pack's default
    assert AuditEvent.objects.filter(action="neighbourhood.activity.published").count() == 1


def test_a_ten_week_course_books_ten_sessions_and_a_clash_refuses_it_all(worker, community, room):
    course = publish(worker, community, room=room, title="银发学堂·智能手机课", rrule="FREQ=WEEKLY;COUNT=10")
    assert course.kind == "series" and course.sessions.count() == 10
    assert Booking.objects.filter(room=room, series=course.series).count() == 10
    assert course.ends_at == course.sessions.last().ends_at
    before = Activity.objects.count()
    with pytest.raises(Conflict):
        publish(worker, community, room=room, title="撞期的课", days=10, rrule="FREQ=WEEKLY;COUNT=3")
    assert Activity.objects.count() == before


def test_cancelling_an_activity_releases_its_room_and_tells_everyone(world, worker, community, room):
    activity = publish(worker, community, room=room, capacity=1)
    first, second = residents(world, 2)
    services.registration_create(actor=first, activity=activity)
    services.registration_create(actor=second, activity=activity)
    services.activity_cancel(actor=worker, activity=activity, reason="台风预警")
    assert activity.sessions.get().booking.status == BookingStatus.CANCELLED
    assert not Registration.objects.filter(activity=activity).exclude(status=RegistrationStatus.CANCELLED).exists()
    assert Notification.objects.filter(user__in=[first, second], title__contains="太极拳入门").count() == 2
    with pytest.raises(Conflict):
        services.registration_create(actor=residents(world, 1, prefix="late")[0], activity=activity)


def test_places_are_taken_then_the_waitlist_then_refused_without_one(world, worker, community):
    activity = publish(worker, community, capacity=2)
    people = residents(world, 4)
    statuses = [services.registration_create(actor=p, activity=activity).status for p in people[:3]]
    assert statuses == ["registered", "registered", "waitlisted"]
    activity.refresh_from_db()
    assert (activity.registered_places, activity.waitlisted_places) == (2, 1)
    closed = publish(worker, community, capacity=1, waitlist=False, title="满员不候补")
    services.registration_create(actor=people[0], activity=closed)
    with pytest.raises(Conflict, match="^该活动已满员，且不设候补。$"):
        services.registration_create(actor=people[1], activity=closed)
    assert closed.registrations.count() == 1


def test_bad_registrations_are_refused_and_write_nothing(world, worker, community, resident):
    activity = publish(worker, community, capacity=5, places_per_registration=2)
    services.registration_create(actor=resident, activity=activity)
    other, late = residents(world, 2)
    events = AuditEvent.objects.count()
    with pytest.raises(Conflict, match="^您已经报名了这个活动。$"):
        services.registration_create(actor=resident, activity=activity)
    with pytest.raises(ValidationFailed):
        services.registration_create(actor=other, activity=activity, places=3)
    closed_at = timezone.localtime(activity.registration_closes_at).strftime("%Y-%m-%d %H:%M")
    with pytest.raises(Conflict, match=f"^报名已于{closed_at}截止。$"):
        services.registration_create(actor=late, activity=activity,
                                     now=activity.registration_closes_at + timedelta(minutes=1))
    with pytest.raises(PermissionDenied):
        services.registration_create(actor=world.users["resident_b"], activity=activity)  # another community's resident
    assert AuditEvent.objects.count() == events and activity.registrations.count() == 1


def test_a_freed_place_goes_to_the_first_on_the_waitlist(world, worker, community):
    activity = publish(worker, community, capacity=2)
    a, b, c, d = residents(world, 4)
    ra = services.registration_create(actor=a, activity=activity)
    services.registration_create(actor=b, activity=activity)
    rc = services.registration_create(actor=c, activity=activity)
    services.registration_create(actor=d, activity=activity)
    assert selectors.waitlist_position(rc) == 1
    services.registration_cancel(actor=a, registration=ra)
    rc.refresh_from_db()
    assert rc.status == RegistrationStatus.REGISTERED and rc.promoted_at is not None
    assert Notification.objects.filter(user=c, title__contains="名额").exists() or Notification.objects.filter(user=c).exists()
    activity.refresh_from_db()
    assert (activity.registered_places, activity.waitlisted_places) == (2, 1)


def test_the_waitlist_stops_moving_up_just_before_the_start(world, worker, community):
    activity = publish(worker, community, capacity=1, days=1, hour=10)
    a, b = residents(world, 2)
    ra = services.registration_create(actor=a, activity=activity)
    rb = services.registration_create(actor=b, activity=activity)
    services.registration_cancel(actor=a, registration=ra, now=activity.starts_at - timedelta(minutes=90))
    rb.refresh_from_db()
    assert rb.status == RegistrationStatus.WAITLISTED  # within the pack's two hours: not moved up


def test_one_person_follows_at_most_three_courses_at_once(world, worker, community, resident):
    for n in range(3):
        course = publish(worker, community, title=f"课程{n}", days=3 + n, rrule="FREQ=WEEKLY;COUNT=4")
        services.registration_create(actor=resident, activity=course)
    fourth = publish(worker, community, title="第四门", days=8, rrule="FREQ=WEEKLY;COUNT=4")
    with pytest.raises(Conflict, match="3"):
        services.registration_create(actor=resident, activity=fourth)


def test_prices_follow_the_tier(worker, community):
    with pytest.raises(ValidationFailed):
        publish(worker, community, tier="free", price="10")
    with pytest.raises(ValidationFailed, match="^低偿活动每人每次不超过50元。$"):
        publish(worker, community, tier="low_cost", price="80")
    assert publish(worker, community, tier="low_cost", price="20.00").price == 20


def test_an_operator_publishes_only_where_it_serves(world):
    operator_user = world.users["operator_staff"]
    served = world.node("甲市一区一街一社")
    activity = publish(operator_user, served, title="亲子绘本")
    assert activity.organiser == world.organisations["甲市一区一街一社服务中心"]
    with pytest.raises(PermissionDenied):
        publish(operator_user, world.node("甲市一区一街二社"))


def test_check_in_by_code_and_by_staff_counts_person_times(world, worker, community, room):
    activity = publish(worker, community, room=room, capacity=10, places_per_registration=2, days=1, hour=15)
    a, b, c = residents(world, 3)
    ra = services.registration_create(actor=a, activity=activity, places=2)
    rb = services.registration_create(actor=b, activity=activity)
    session = activity.sessions.get()
    with pytest.raises(Conflict):  # too early
        services.check_in_with_code(actor=a, activity=activity, code=activity.attendance_code, now=session.starts_at - timedelta(hours=2))
    during = session.starts_at + timedelta(minutes=5)
    with pytest.raises(ValidationFailed):
        services.check_in_with_code(actor=a, activity=activity, code="000000" if activity.attendance_code != "000000" else "111111", now=during)
    services.check_in_with_code(actor=a, activity=activity, code=activity.attendance_code, now=during)
    with pytest.raises(Conflict):
        services.check_in_with_code(actor=a, activity=activity, code=activity.attendance_code, now=during)
    services.check_in(actor=worker, session=session, registration=rb, now=during)
    with pytest.raises(PermissionDenied):
        services.check_in(actor=c, session=session, registration=rb, now=during)
    assert Attendance.objects.filter(session=session).count() == 2
    assert selectors.person_times_total(user=worker, within=community, since=at(0, 0).date(), until=at(2, 0).date()) == 3
    assert ra.attendances.get().people == 2


def test_the_register_button_is_gone_after_the_deadline_and_the_service_still_refuses(client, world, worker, community, resident):
    activity = publish(worker, community)
    client.force_login(resident)
    assert 'name="register"' in client.get(f"/neighbourhood/activities/{activity.pk}/").content.decode()
    Activity.objects.filter(pk=activity.pk).update(registration_closes_at=timezone.now() - timedelta(minutes=1))
    page = client.get(f"/neighbourhood/activities/{activity.pk}/").content.decode()
    assert 'name="register"' not in page and "报名已截止" in page
    refused = client.post(f"/neighbourhood/activities/{activity.pk}/", {"register": "1", "places": 1}, follow=True).content.decode()
    assert "报名已于" in refused and not activity.registrations.exists()
    client.force_login(world.users["resident_b"])  # another community's resident is offered nothing
    assert selectors.registration_offer(user=world.users["resident_b"], activity=activity) == ""


def test_the_operator_who_may_act_on_an_order_is_the_services_to_say(world, community, resident):
    operator = world.organisations["甲市一区一街一社服务中心"]
    staff = world.users["operator_staff"]
    open_order = services.order_place(actor=resident, category="living_environment", title="修门锁")
    assert services.order_operator_for(staff, open_order) == operator
    assert services.order_operator_for(resident, open_order) is None
    elsewhere = world.organisations["甲市一区一街二社服务中心"]
    other_staff = make_user("yunying_b", role="operator_staff", organisation=elsewhere)
    assert services.order_operator_for(other_staff, open_order) is None


def test_the_places_one_person_may_take_come_from_the_pack_alone(client, worker, community, resident):
    with pytest.raises(ValidationFailed, match="1至2个"):
        publish(worker, community, places_per_registration=3)  # the pack's 2
    activity = publish(worker, community, places_per_registration=2)
    client.force_login(resident)
    refused = client.post(f"/api/v1/neighbourhood/activities/{activity.pk}/registrations", {"places": 11},
                          content_type="application/json")
    assert refused.status_code == 422 and "1至2个" in refused.json()["message"] and not activity.registrations.exists()
