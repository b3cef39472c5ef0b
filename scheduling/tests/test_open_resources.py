"""Units' open resources (驻区单位开放资源): a unit registers what it opens, the area books it through
the same schedule, the unit's staff decide, the bureau counts them by street."""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from audit.models import AuditEvent
from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.measures import MEASURES, Month
from registry.hours import parse_hours
from registry.models import Site, SiteKind
from scheduling import selectors, services
from scheduling.models import Booking, BookingStatus, OpenResource
from tests.world import make_user

from .conftest import at, make_room

HOURS = "周六、周日 08:00-18:00；周一至周五 18:00-21:00"


def saturday(weeks: int = 1) -> int:
    """Days from today to a Saturday at least a day away."""
    from django.utils import timezone

    today = timezone.localdate()
    return (5 - today.weekday()) % 7 + 7 * (weeks - 1) or 7


@pytest.fixture
def unit(world):
    return world.organisations["甲市一区一街一社实验小学"]


@pytest.fixture
def ground(world, unit):
    return services.open_resource_register(
        actor=world.users["unit_staff"], unit=unit, community=world.node("甲市一区一街一社"), name="运动场", category="sports",
        opening_hours=parse_hours(HOURS), rules="请穿运动鞋；不得带宠物。", capacity=80, area=Decimal("3000"))


def _count(*models):
    return tuple(m.objects.count() for m in models)


@pytest.mark.django_db
class TestRegistering:
    def test_a_units_staff_open_a_resource_as_a_room_of_the_register_that_always_asks_approval(self, world, unit, ground):
        room = ground.room
        assert room.site.kind == SiteKind.SHARED_EXTERNAL and room.site.host_unit == unit.name
        assert room.site.division == world.node("甲市一区一街一社")
        assert room.policy.approval_required and set(room.policy.bookers) == {"resident", "staff"}
        assert AuditEvent.objects.filter(action="scheduling.open_resource.registered", target_id=str(ground.pk)).exists()

    def test_a_community_outside_the_units_area_is_refused_in_chinese_and_nothing_is_written(self, world, unit):
        before = _count(OpenResource, Site, AuditEvent)
        with translation.override("zh-hans"), pytest.raises(ValidationFailed) as refused:
            services.open_resource_register(actor=world.users["unit_staff"], unit=unit, community=world.node("甲市一区一街二社"),
                                            name="停车场", category="parking", opening_hours=parse_hours(HOURS))
        assert "甲市一区一街二社" in str(refused.value.message)
        assert _count(OpenResource, Site, AuditEvent) == before

    def test_someone_not_of_the_unit_cannot_register_its_resources(self, world, unit):
        with pytest.raises(PermissionDenied):
            services.open_resource_register(actor=world.users["street_admin"], unit=unit, community=world.node("甲市一区一街一社"),
                                            name="停车场", category="parking", opening_hours=parse_hours(HOURS))
        assert not OpenResource.objects.exists()

    def test_a_resource_without_opening_hours_is_refused(self, world, unit):
        with pytest.raises(ValidationFailed) as refused:
            services.open_resource_register(actor=world.users["unit_staff"], unit=unit, community=world.node("甲市一区一街一社"),
                                            name="会议室", category="meeting", opening_hours=parse_hours(""))
        assert "opening_hours" in refused.value.fields
        assert not Site.objects.exists()

    def test_only_a_unit_in_the_area_opens_resources(self, world):
        operator = world.organisations["甲市一区一街一社服务中心"]
        staff = make_user("op_and_unit", role="operator_staff", organisation=operator)
        with pytest.raises(ValidationFailed):
            services.open_resource_register(actor=staff, unit=operator, community=world.node("甲市一区一街一社"),
                                            name="会议室", category="meeting", opening_hours=parse_hours(HOURS))

    def test_the_unit_changes_its_rules_and_hours_and_withdraws_it(self, world, ground):
        staff = world.users["unit_staff"]
        services.open_resource_update(actor=staff, resource=ground, data={"rules": "需提前一天预约。", "opening_hours": parse_hours("每天 07:00-19:00")})
        ground.refresh_from_db()
        assert ground.rules == "需提前一天预约。" and ground.room.opening_hours["3"] == [["07:00", "19:00"]]
        services.open_resource_withdraw(actor=staff, resource=ground, reason="场地翻修")
        ground.refresh_from_db()
        assert ground.withdrawn_on is not None and not ground.room.policy.bookable
        with pytest.raises(Conflict):
            services.open_resource_book(actor=world.users["resident"], resource=ground, start=at(saturday(), 9),
                                        end=at(saturday(), 10), title="踢球")


@pytest.mark.django_db
class TestBooking:
    def test_a_resident_asks_and_the_units_staff_approve(self, world, ground):
        booking = services.open_resource_book(actor=world.users["resident"], resource=ground, start=at(saturday(), 9),
                                              end=at(saturday(), 11), title="亲子足球", attendees=12)
        assert booking.status == BookingStatus.PENDING
        assert list(selectors.open_resource_requests(resource=ground, pending=True)) == [booking]
        services.booking_decide(actor=world.users["unit_staff"], booking=booking, approve=True, note="欢迎")
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CONFIRMED and booking.decided_by == world.users["unit_staff"]

    def test_community_staff_also_ask_the_unit(self, world, ground):
        booking = services.open_resource_book(actor=world.users["community_worker"], resource=ground, start=at(saturday(), 14),
                                              end=at(saturday(), 16), title="社区运动会彩排")
        assert booking.status == BookingStatus.PENDING

    def test_outside_the_units_opening_hours_is_refused_in_chinese_and_nothing_is_written(self, world, ground):
        before = _count(Booking, AuditEvent)
        with translation.override("zh-hans"), pytest.raises(ValidationFailed) as refused:
            services.open_resource_book(actor=world.users["resident"], resource=ground, start=at(saturday(), 19),
                                        end=at(saturday(), 20), title="夜跑")
        assert "周六" in str(refused.value.message) and world.organisations["甲市一区一街一社实验小学"].name in str(refused.value.message)
        assert _count(Booking, AuditEvent) == before

    def test_a_resident_of_another_community_cannot_book_it(self, world, ground):
        with pytest.raises(PermissionDenied):
            services.open_resource_book(actor=world.users["resident_b"], resource=ground, start=at(saturday(), 9),
                                        end=at(saturday(), 10), title="踢球")
        assert not Booking.objects.exists()
        assert not selectors.open_resource_list(user=world.users["resident_b"]).exists()

    def test_approving_as_someone_not_of_the_unit_is_refused_and_nothing_changes(self, world, ground):
        booking = services.open_resource_book(actor=world.users["resident"], resource=ground, start=at(saturday(), 9),
                                              end=at(saturday(), 10), title="踢球")
        before = AuditEvent.objects.count()
        for outsider in (world.users["community_worker"], world.users["street_admin"]):
            with translation.override("zh-hans"), pytest.raises(PermissionDenied) as refused:
                services.booking_decide(actor=outsider, booking=booking, approve=True)
            assert "实验小学" in str(refused.value.message)
        booking.refresh_from_db()
        assert booking.status == BookingStatus.PENDING and AuditEvent.objects.count() == before

    def test_the_units_requests_are_not_in_the_communitys_approval_queue(self, world, ground):
        services.open_resource_book(actor=world.users["resident"], resource=ground, start=at(saturday(), 9),
                                    end=at(saturday(), 10), title="踢球")
        assert not selectors.approval_queue(user=world.users["community_worker"]).exists()

    def test_a_community_rooms_approval_is_unchanged(self, world):
        room = make_room(world.node("甲市一区一街一社"))
        services.policy_update(actor="test", room=room, data={"approval_required": True})
        booking = services.booking_create(actor=world.users["resident"], room=room, start=at(2, 10), end=at(2, 11), title="会")
        services.booking_decide(actor=world.users["community_worker"], booking=booking, approve=True)
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CONFIRMED


@pytest.mark.django_db
class TestFigures:
    def test_resources_and_bookings_counted_by_street_and_the_measure_sums_them(self, world, ground, unit):
        services.open_resource_register(actor=world.users["unit_staff"], unit=unit, community=world.node("甲市一区一街一社"),
                                        name="地面停车场", category="parking", opening_hours=parse_hours("每天 00:00-24:00"), capacity=40)
        booking = services.open_resource_book(actor=world.users["resident"], resource=ground, start=at(saturday(), 9),
                                              end=at(saturday(), 10), title="踢球")
        services.booking_decide(actor=world.users["unit_staff"], booking=booking, approve=True)
        rows = selectors.open_resource_figures(within=world.node("甲市一区"))
        first, second, total = rows
        assert first.division == world.node("甲市一区一街") and first.resources == 2 and first.units == 1
        assert first.by_category == {"sports": 1, "parking": 1} and first.approved == 1 and first.requests == 1
        assert second.resources == 0 and total.resources == 2
        month = Month.of(date.today())
        opened = MEASURES["scheduling.open_resources"].compute(world.node("甲市"), month)
        assert opened == {world.node("甲市一区一街一社").pk: (Decimal(2), None)}
        later = Month.of(booking.starts_at.date())
        used = MEASURES["scheduling.open_resource_bookings"].compute(world.node("甲市"), later)
        assert used == {world.node("甲市一区一街一社").pk: (Decimal(1), None)}

    def test_a_units_resource_is_not_the_communitys_own_space(self, world, ground):
        """Booked or idle, a unit's ground neither counts toward the community's rooms' use nor its standards."""
        from org.models import Division
        from registry.compliance import community_figures
        from registry.models import Function

        community = world.node("甲市一区一街一社")
        own = make_room(community)
        function = Function.objects.filter(city=world.node("甲市")).order_by("order").first()
        ground.room.functions.add(function)
        for room, day in ((own, 2), (ground.room, saturday())):
            booking = services.booking_create(actor=world.users["community_worker"], room=room, start=at(day, 9),
                                              end=at(day, 11), title="活动")
            if booking.status == BookingStatus.PENDING:
                services.booking_decide(actor=world.users["unit_staff"], booking=booking, approve=True)
        month = Month.of(at(saturday(), 9).date())
        usage = selectors.utilisation(user=world.users["street_admin"], within=community,
                                      period=selectors.UsagePeriod(month.since, month.until))
        assert [row.key for row in usage] == [own.pk]
        idle = MEASURES["scheduling.idle_rooms"].compute(world.node("甲市"), month)
        assert sum(count for count, _none in idle.values()) <= 1
        figures = community_figures(Division.objects.filter(pk=community.pk))[community.pk]
        assert figures.room_area == own.area and function.code not in figures.functions

    def test_a_withdrawn_resource_no_longer_counts(self, world, ground):
        services.open_resource_withdraw(actor=world.users["unit_staff"], resource=ground, reason="停用",
                                        today=date.today() + timedelta(days=1))
        assert selectors.open_resource_figures(within=world.node("甲市一区一街"))[-1].resources == 0


@pytest.mark.django_db
class TestApiAndPages:
    def test_the_unit_registers_through_the_api_and_a_resident_books_it(self, client, world, unit):
        client.force_login(world.users["unit_staff"])
        response = client.post("/api/v1/scheduling/open-resources", data=json.dumps({
            "unit_id": unit.pk, "community_code": world.node("甲市一区一街一社").code, "name": "三楼会议室", "category": "meeting",
            "opening_hours": "每天 09:00-17:00", "capacity": 30}), content_type="application/json")
        assert response.status_code == 201, response.content
        resource_id = response.json()["id"]
        assert response.json()["opening_hours"] == "周一至周日 09:00-17:00" or "09:00-17:00" in response.json()["opening_hours"]
        client.force_login(world.users["resident"])
        assert [r["id"] for r in client.get("/api/v1/scheduling/open-resources?category=meeting").json()["items"]] == [resource_id]
        response = client.post(f"/api/v1/scheduling/open-resources/{resource_id}/bookings", data=json.dumps({
            "starts_at": at(2, 10).isoformat(), "ends_at": at(2, 11).isoformat(), "title": "楼栋议事"}), content_type="application/json")
        assert response.status_code == 201 and response.json()["status"] == "pending"
        booking_id = response.json()["id"]
        response = client.post(f"/api/v1/scheduling/open-resources/{resource_id}/bookings", data=json.dumps({
            "starts_at": at(2, 18).isoformat(), "ends_at": at(2, 19).isoformat(), "title": "夜会"}), content_type="application/json",
            headers={"accept-language": "zh-hans"})
        assert response.status_code == 422 and "09:00-17:00" in response.json()["message"]
        client.force_login(world.users["community_worker"])
        response = client.post(f"/api/v1/scheduling/bookings/{booking_id}/decision", data=json.dumps({"approve": True}),
                               content_type="application/json")
        assert response.status_code == 403
        client.force_login(world.users["unit_staff"])
        response = client.post(f"/api/v1/scheduling/open-resources/requests/{booking_id}/decision",
                               data=json.dumps({"approve": True}), content_type="application/json")
        assert response.status_code == 200 and response.json()["status"] == "confirmed"

    def test_pages_list_book_decide_and_report(self, client, world, ground):
        client.force_login(world.users["resident"])
        page = client.get("/scheduling/open/?category=sports")
        assert page.status_code == 200 and "运动场" in page.content.decode()
        day = at(saturday(), 9)
        response = client.post(f"/scheduling/open/{ground.pk}/", {"title": "踢球", "day": day.date().isoformat(), "start": "09:00",
                                                                  "end": "10:00", "attendees": 8})
        assert response.status_code == 302
        booking = Booking.objects.get(room=ground.room)
        client.force_login(world.users["unit_staff"])
        page = client.get(f"/scheduling/open/{ground.pk}/")
        assert "踢球" in page.content.decode()
        assert client.post(f"/scheduling/open/requests/{booking.pk}/decide/", {"approve": "1"}).status_code == 302
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CONFIRMED
        client.force_login(world.users["supervisor"])
        page = client.get(f"/scheduling/open/report/?within={world.node('甲市一区').code}")
        assert page.status_code == 200 and "甲市一区一街" in page.content.decode()
        export = client.get(f"/scheduling/open/report/?within={world.node('甲市一区').code}&format=xlsx")
        assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")

    def test_a_resident_cannot_open_the_report_or_the_register_form(self, client, world):
        client.force_login(world.users["resident"])
        assert client.get("/scheduling/open/report/").status_code == 404
        assert client.get("/scheduling/open/new/").status_code == 404
