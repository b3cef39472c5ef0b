"""A room with no hours of its own is bookable in its site's hours; rules with no bookable hours of
their own use the room's. A blank field (API, page or Excel) is read as a week of empty days, which
means "not set here", never "closed all week"."""

import json

import pytest

from core.errors import ValidationFailed
from registry import services as registry_services
from registry.hours import parse_hours
from scheduling import services
from scheduling.models import Booking, BookingStatus

from .conftest import at, make_room


def booked_through_api(client, room, start, end):
    return client.post("/api/v1/scheduling/bookings", data=json.dumps(
        {"room_id": room.pk, "starts_at": start, "ends_at": end, "title": "议事会"}, default=str), content_type="application/json")


@pytest.mark.django_db
class TestARoomWithoutHours:
    def test_a_room_created_with_blank_hours_is_booked_in_its_sites_hours(self, world):
        room = make_room(world.node("甲市一区一街一社"), hours="每天 09:00-18:00")
        bare = registry_services.room_create(actor="test", site=room.site, name="活动室", area=room.area, capacity=20,
                                             opening_hours=parse_hours(""))
        assert bare.opening_hours == parse_hours("")  # what a blank field is stored as
        booking = services.booking_create(actor=world.users["resident"], room=bare, start=at(1, 9), end=at(1, 10), title="议事会")
        assert booking.status == BookingStatus.CONFIRMED
        with pytest.raises(ValidationFailed):  # the site's hours still bound it
            services.booking_create(actor=world.users["resident"], room=bare, start=at(1, 18), end=at(1, 19), title="议事会")

    def test_a_room_added_through_the_api_without_hours_can_be_booked(self, client, world):
        site = make_room(world.node("甲市一区一街一社"), hours="每天 08:00-21:00").site
        client.force_login(world.users["street_admin"])
        response = client.post(f"/api/v1/registry/sites/{site.pk}/rooms", data=json.dumps(
            {"name": "活动室", "area": "40", "capacity": 20}), content_type="application/json")
        assert response.status_code == 201, response.content
        room = site.rooms.get(name="活动室")
        client.force_login(world.users["resident"])
        response = booked_through_api(client, room, at(1, 14), at(1, 15))
        assert response.status_code == 201, response.content

    def test_a_room_added_on_the_page_without_hours_can_be_booked_on_its_page(self, client, world):
        site = make_room(world.node("甲市一区一街一社"), hours="每天 08:00-21:00").site
        client.force_login(world.users["street_admin"])
        response = client.post(f"/registry/sites/{site.pk}/rooms/new/", {
            "name": "活动室", "floor": 1, "area": "40", "capacity": 20, "use": "service", "opening_hours": ""})
        assert response.status_code == 302, response.content.decode()[:2000]
        room = site.rooms.get(name="活动室")
        client.force_login(world.users["resident"])
        day = at(1, 14)
        response = client.post(f"/scheduling/rooms/{room.pk}/", {
            "title": "议事会", "day": day.date().isoformat(), "start": "14:00", "end": "15:00", "attendees": 5})
        assert response.status_code == 302, response.content.decode()[:3000]
        assert Booking.objects.get(room=room).status == BookingStatus.CONFIRMED


@pytest.mark.django_db
class TestRulesWithoutBookableHours:
    def test_rules_with_blank_bookable_hours_use_the_rooms_hours(self, world, room):
        services.policy_update(actor=world.users["community_worker"], room=room, data={"bookable_hours": parse_hours("")})
        booking = services.booking_create(actor=world.users["resident"], room=room, start=at(1, 9), end=at(1, 10), title="议事会")
        assert booking.status == BookingStatus.CONFIRMED

    def test_bookable_hours_cleared_through_the_api(self, client, world, room):
        client.force_login(world.users["community_worker"])
        for hours in ("周一 09:00-10:00", ""):
            response = client.patch(f"/api/v1/scheduling/rooms/{room.pk}/policy", data=json.dumps({"bookable_hours": hours}),
                                    content_type="application/json")
            assert response.status_code == 200, response.content
        start = at(1, 14) if at(1, 14).isoweekday() != 1 else at(2, 14)
        client.force_login(world.users["resident"])
        assert booked_through_api(client, room, start, start.replace(hour=15)).status_code == 201

    def test_bookable_hours_cleared_on_the_rules_page(self, client, world, room):
        services.policy_update(actor=world.users["community_worker"], room=room, data={"bookable_hours": parse_hours("周一 09:00-10:00")})
        policy = services.policy_for(room)
        client.force_login(world.users["community_worker"])
        response = client.post(f"/scheduling/rooms/{room.pk}/rules/", {
            "policy": "1", "bookable": "on", "bookable_hours": "", "min_minutes": policy.min_minutes, "max_minutes": policy.max_minutes,
            "slot_minutes": policy.slot_minutes, "buffer_minutes": policy.buffer_minutes, "horizon_days": policy.horizon_days,
            "bookers": policy.bookers, "hold_minutes": policy.hold_minutes, "no_show_minutes": policy.no_show_minutes})
        assert response.status_code == 302, response.content.decode()[:3000]
        policy.refresh_from_db()  # the room's rules as the page left them
        assert policy.bookable_hours == parse_hours("")
        start = at(1, 14) if at(1, 14).isoweekday() != 1 else at(2, 14)
        booking = services.booking_create(actor=world.users["resident"], room=room, start=start, end=start.replace(hour=15), title="议事会")
        assert booking.status == BookingStatus.CONFIRMED
