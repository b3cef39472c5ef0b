from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from core.errors import Conflict, PermissionDenied, ValidationFailed
from notifications.models import Notification
from scheduling import selectors, services
from scheduling.models import Booking, BookingStatus, WaitlistEntry
from tests.world import make_user

from .conftest import at, make_room


def book(user, room, start, end, **extra):
    return services.booking_create(actor=user, room=room, start=start, end=end, title=extra.pop("title", "议事会"), **extra)


@pytest.mark.django_db
class TestBookingRules:
    def test_a_resident_books_a_free_slot(self, world, room):
        booking = book(world.users["resident"], room, at(1, 14), at(1, 16), attendees=12)
        assert booking.status == BookingStatus.CONFIRMED and booking.blocked_until == booking.ends_at
        assert AuditEvent.objects.filter(action="scheduling.booking.created", target_id=str(booking.pk)).exists()

    def test_the_booking_and_its_audit_entry_go_in_together_or_not_at_all(self, world, room):
        from django.db import DatabaseError

        from tests.faults import table_refuses_inserts

        first = book(world.users["resident"], room, at(1, 9), at(1, 10))  # the room's rules and the rule pack are in place
        with table_refuses_inserts(AuditEvent), pytest.raises(DatabaseError):
            book(world.users["resident"], room, at(1, 14), at(1, 16))
        assert list(Booking.objects.all()) == [first]

    def test_the_audit_entry_names_the_booking_its_room_and_who_booked(self, world, room):
        resident = world.users["resident"]
        booking = book(resident, room, at(1, 14), at(1, 16))
        entry = AuditEvent.objects.get(action="scheduling.booking.created")
        assert (entry.target_id, entry.actor, entry.division) == (str(booking.pk), resident, room.site.division)
        assert entry.target_type.model_class() is Booking and entry.target_repr == str(booking)
        assert entry.changes["room"] == room.pk and entry.changes["status"] == BookingStatus.CONFIRMED

    @pytest.mark.parametrize("start, end, words", [
        (at(1, 16), at(1, 14), "end after"),
        (at(-1, 10), at(-1, 11), "passed"),
        (at(1, 6), at(1, 7), "bookable hours"),
        (at(1, 20), at(1, 22), "bookable hours"),
        (at(1, 9), at(1, 15), "at most"),
        (at(1, 9, 10), at(1, 10, 10), "slots"),
        (at(90, 9), at(90, 10), "days ahead"),
    ])
    def test_the_rooms_rules_refuse_bad_times(self, world, room, start, end, words):
        from django.utils import translation

        with translation.override("en"), pytest.raises(ValidationFailed) as refused:
            book(world.users["resident"], room, start, end)
        assert words in " ".join(refused.value.fields["starts_at"])
        assert not Booking.objects.exists()

    def test_more_people_than_the_room_holds_is_refused(self, world, room):
        with pytest.raises(ValidationFailed):
            book(world.users["resident"], room, at(1, 9), at(1, 10), attendees=31)

    def test_a_closed_room_cannot_be_booked(self, world, room):
        services.closure_create(actor=world.users["community_worker"], site=room.site, room=None, start=at(1, 0), end=at(2, 0), reason="国庆假期")
        with pytest.raises(ValidationFailed) as refused:
            book(world.users["resident"], room, at(1, 9), at(1, 10))
        assert "国庆假期" in " ".join(refused.value.fields["starts_at"])

    def test_an_operators_staff_books_for_their_operator_and_can_open_the_booking(self, world, room, client):
        operator_staff = world.users["operator_staff"]
        booking = book(operator_staff, room, at(1, 14), at(1, 15))
        assert booking.organisation == world.organisations["甲市一区一街一社服务中心"]
        client.force_login(operator_staff)
        assert client.get(f"/scheduling/bookings/{booking.pk}/").status_code == 200
        # A resident's booking is their own, for no organisation.
        assert book(world.users["resident"], room, at(1, 16), at(1, 17)).organisation is None

    def test_a_neighbours_resident_cannot_book(self, world, room):
        with pytest.raises(PermissionDenied):
            book(world.users["resident_b"], room, at(1, 9), at(1, 10))

    def test_office_rooms_are_for_staff_only(self, world):
        office = make_room(world.node("甲市一区一街一社"), name="办公室")
        office.use = "office"
        office.save()
        with pytest.raises(PermissionDenied):
            book(world.users["resident"], office, at(1, 9), at(1, 10))
        assert book(world.users["community_worker"], office, at(1, 9), at(1, 10)).status == BookingStatus.CONFIRMED


@pytest.mark.django_db
class TestNeverDoubleBooked:
    def test_an_overlapping_booking_is_refused_naming_the_first(self, world, room):
        book(world.users["resident"], room, at(1, 14), at(1, 16), title="书法课")
        with pytest.raises(Conflict) as refused:
            book(world.users["community_worker"], room, at(1, 15), at(1, 17))
        assert "书法课" in str(refused.value.message)
        assert Booking.objects.count() == 1

    def test_touching_bookings_are_fine_but_the_buffer_is_kept(self, world, room):
        book(world.users["resident"], room, at(1, 14), at(1, 15))
        book(world.users["resident"], room, at(1, 15), at(1, 16))
        services.policy_update(actor=world.users["community_worker"], room=room, data={"buffer_minutes": 30})
        book(world.users["resident"], room, at(2, 14), at(2, 15))
        with pytest.raises(Conflict):
            book(world.users["resident"], room, at(2, 15), at(2, 16))
        book(world.users["resident"], room, at(2, 15, 30), at(2, 16, 30))

    def test_a_cancelled_booking_frees_the_room(self, world, room):
        first = book(world.users["resident"], room, at(1, 14), at(1, 15))
        services.booking_cancel(actor=world.users["resident"], booking=first)
        assert book(world.users["community_worker"], room, at(1, 14), at(1, 15)).status == BookingStatus.CONFIRMED


@pytest.mark.django_db
class TestSeries:
    def test_a_weekly_course_books_every_occurrence(self, world, room):
        series, bookings, left_out = services.series_create(
            actor=world.users["community_worker"], room=room, title="银发学堂", dtstart=at(1, 9), duration_minutes=90,
            rrule="FREQ=WEEKLY;COUNT=6")
        assert len(bookings) == 6 and not left_out
        assert [b.starts_at - bookings[0].starts_at for b in bookings][-1] == timedelta(weeks=5)

    def test_collisions_are_refused_with_their_dates_or_left_out_when_asked(self, world, room):
        book(world.users["resident"], room, at(8, 9), at(8, 10))
        with pytest.raises(Conflict) as refused:
            services.series_create(actor=world.users["community_worker"], room=room, title="课", dtstart=at(1, 9),
                                   duration_minutes=60, rrule="FREQ=WEEKLY;COUNT=4")
        assert refused.value.fields["dates"] == [at(8, 9).strftime("%Y-%m-%d %H:%M")]
        assert Booking.objects.count() == 1
        series, bookings, left_out = services.series_create(
            actor=world.users["community_worker"], room=room, title="课", dtstart=at(1, 9), duration_minutes=60,
            rrule="FREQ=WEEKLY;COUNT=4", skip_conflicts=True)
        assert len(bookings) == 3 and left_out == [at(8, 9)]
        assert at(8, 9).date().isoformat() in series.exdates

    @pytest.mark.parametrize("rule, words", [("FREQ=DAILY", "COUNT or UNTIL"), ("FREQ=MINUTELY;COUNT=10000", "more than"),
                                              ("FREQ=SOMETIMES;COUNT=3", "valid")])
    def test_rules_that_never_end_or_explode_are_refused(self, world, room, rule, words):
        from django.utils import translation

        with translation.override("en"):
            with pytest.raises(ValidationFailed) as refused:
                services.series_create(actor=world.users["community_worker"], room=room, title="x", dtstart=at(1, 9),
                                       duration_minutes=60, rrule=rule)
            assert words in " ".join(map(str, refused.value.fields["rrule"]))
        assert not Booking.objects.exists()

    def test_cancel_one_the_following_or_the_series(self, world, room):
        worker = world.users["community_worker"]
        _s, bookings, _l = services.series_create(actor=worker, room=room, title="课", dtstart=at(1, 9), duration_minutes=60,
                                                  rrule="FREQ=WEEKLY;COUNT=5")
        assert len(services.booking_cancel(actor=worker, booking=bookings[1], scope="one")) == 1
        assert len(services.booking_cancel(actor=worker, booking=bookings[3], scope="following")) == 2
        assert list(Booking.objects.filter(status=BookingStatus.CONFIRMED).values_list("pk", flat=True)) == [bookings[0].pk, bookings[2].pk]
        assert len(services.booking_cancel(actor=worker, booking=bookings[2], scope="series")) == 2

    def test_moving_the_series_moves_every_future_occurrence_or_none(self, world, room):
        worker = world.users["community_worker"]
        _s, bookings, _l = services.series_create(actor=worker, room=room, title="课", dtstart=at(1, 9), duration_minutes=60,
                                                  rrule="FREQ=WEEKLY;COUNT=3")
        book(world.users["resident"], room, at(15, 10), at(15, 11))
        with pytest.raises(Conflict):
            services.booking_move(actor=worker, booking=bookings[0], start=at(1, 10), end=at(1, 11), scope="series")
        assert Booking.objects.get(pk=bookings[2].pk).starts_at == at(15, 9)
        moved = services.booking_move(actor=worker, booking=bookings[0], start=at(1, 14), end=at(1, 15, 30), scope="following")
        assert [timezone.localtime(b.starts_at).hour for b in moved] == [14, 14, 14]
        assert all(b.minutes == 90 for b in moved)


@pytest.mark.django_db
class TestApprovalAndCheckIn:
    def test_a_request_holds_the_slot_until_it_is_decided(self, world, room):
        services.policy_update(actor=world.users["community_worker"], room=room, data={"approval_required": True})
        request = book(world.users["resident"], room, at(1, 14), at(1, 15))
        assert request.status == BookingStatus.PENDING and request.hold_expires_at is not None
        with pytest.raises(Conflict):
            book(world.users["operator_staff"], room, at(1, 14), at(1, 15))
        assert list(selectors.approval_queue(user=world.users["community_worker"])) == [request]
        assert not selectors.approval_queue(user=world.users["resident"]).exists()
        services.booking_decide(actor=world.users["community_worker"], booking=request, approve=True, note="欢迎")
        request.refresh_from_db()
        assert request.status == BookingStatus.CONFIRMED
        assert Notification.objects.get(user=world.users["resident"]).title.endswith("批准") or Notification.objects.filter(user=world.users["resident"]).exists()

    def test_a_lapsed_request_frees_the_room(self, world, room):
        services.policy_update(actor=world.users["community_worker"], room=room, data={"approval_required": True, "hold_minutes": 30})
        request = book(world.users["resident"], room, at(2, 14), at(2, 15))
        assert services.holds_expire(now=timezone.now() + timedelta(minutes=31)) == 1
        request.refresh_from_db()
        assert request.status == BookingStatus.EXPIRED
        assert book(world.users["operator_staff"], room, at(2, 14), at(2, 15)).status == BookingStatus.PENDING  # the slot is free again

    def test_check_in_and_no_show_release_with_the_waitlist_offered(self, world, room):
        start = at(1, 14)
        booking = book(world.users["resident"], room, start, start + timedelta(hours=2))
        with pytest.raises(Conflict):
            services.booking_check_in(actor=world.users["resident"], booking=booking, now=start - timedelta(hours=1))
        entry = services.waitlist_join(actor=world.users["operator_staff"], room=room, start=start + timedelta(hours=1),
                                       end=start + timedelta(hours=2), title="临时活动", now=start - timedelta(hours=2))
        assert services.no_shows_release(now=start + timedelta(minutes=10)) == 0
        assert services.no_shows_release(now=start + timedelta(minutes=16)) == 1
        booking.refresh_from_db()
        assert booking.status == BookingStatus.RELEASED and booking.no_show
        entry.refresh_from_db()
        assert entry.status == WaitlistEntry.Status.OFFERED and entry.booking.status == BookingStatus.OFFERED
        services.offer_accept(actor=world.users["operator_staff"], booking=entry.booking, now=start + timedelta(minutes=20))
        entry.booking.refresh_from_db()
        assert entry.booking.status == BookingStatus.CONFIRMED
        assert Notification.objects.filter(user=world.users["operator_staff"]).exists()

    def test_the_booker_checks_in_from_a_phone(self, world, room):
        start = at(1, 14)
        booking = book(world.users["resident"], room, start, start + timedelta(hours=1))
        services.booking_check_in(actor=world.users["resident"], booking=booking, now=start + timedelta(minutes=5))
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CHECKED_IN
        assert services.no_shows_release(now=start + timedelta(minutes=30)) == 0

    def test_someone_else_cannot_cancel_my_booking(self, world, room):
        booking = book(world.users["resident"], room, at(1, 14), at(1, 15))
        other = make_user("other_resident", role="resident", division=world.node("甲市一区一街一社"))
        with pytest.raises(PermissionDenied):
            services.booking_cancel(actor=other, booking=booking)
        services.booking_cancel(actor=world.users["community_worker"], booking=booking, reason="场地维修")
        assert Notification.objects.filter(user=world.users["resident"]).exists()


@pytest.mark.django_db
def test_a_rotation_takes_departments_in_turn(world, room):
    from org.services import organisation_create

    departments = [organisation_create(actor="t", name=name, kind="department", home_division=world.node("甲市一区"))
                   for name in ("区司法局", "区人大代表联络站", "区政协联络组")]
    monday = timezone.localdate() + timedelta(days=7 - timezone.localdate().weekday())
    rotation, bookings, skipped = services.rotation_create(
        actor=world.users["community_worker"], room=room, name="两代表一委员工作室轮值",
        slots=[{"weekday": 2, "start": "09:00", "end": "11:30"}, {"weekday": 4, "start": "14:30", "end": "17:00"}],
        departments=departments, starts_on=monday, ends_on=monday + timedelta(days=20))
    assert len(bookings) == 6 and not skipped
    assert [b.organisation.name for b in bookings] == ["区司法局", "区人大代表联络站", "区政协联络组"] * 2
    duty = selectors.on_duty(room=room, at=bookings[1].starts_at + timedelta(minutes=30))
    assert duty.organisation.name == "区人大代表联络站"
