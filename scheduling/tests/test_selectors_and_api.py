import json
from datetime import timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from scheduling import ical, selectors, services
from scheduling.models import Booking, BookingStatus

from .conftest import at, make_room


def book(user, room, start, end, **extra):
    return services.booking_create(actor=user, room=room, start=start, end=end, title=extra.pop("title", "活动"), **extra)


def post(client, url, data):
    return client.post(url, data=json.dumps(data, default=str), content_type="application/json")


@pytest.mark.django_db
class TestAvailability:
    def test_free_windows_are_found_across_rooms_and_ranked_by_fit(self, world):
        community = world.node("甲市一区一街一社")
        big = make_room(community, name="大会议室", capacity=80, equipment=("投影仪", "音响"))
        small = make_room(community, name="小会议室", capacity=12, equipment=("投影仪",), site=big.site)
        make_room(community, name="棋牌室", capacity=40, equipment=(), site=big.site)
        book(world.users["community_worker"], small, at(1, 14), at(1, 16))
        windows = selectors.availability(user=world.users["community_worker"], within=community, start=at(1, 13), end=at(1, 18),
                                         minutes=60, capacity=10, equipment=["投影仪"])
        names = [(w.room.name, timezone.localtime(w.start).hour, timezone.localtime(w.end).hour) for w in windows]
        assert ("小会议室", 13, 14) in names and ("小会议室", 16, 18) in names
        assert ("大会议室", 13, 18) in names
        assert all(name != "棋牌室" for name, _s, _e in names)  # no projector
        assert names[0][0] == "小会议室"  # the closest fit first

    def test_a_short_list_is_the_head_of_the_full_ranking(self, world):
        """The search stops at the sizes that cannot beat what it found; it must not lose a window."""
        community, worker = world.node("甲市一区一街一社"), world.users["community_worker"]
        site = make_room(community, name="房间0", capacity=20).site
        rooms = [make_room(community, name=f"房间{i}", capacity=size, site=site) for i, size in enumerate([20, 25, 25, 40, 60], 1)]
        for index, room in enumerate(rooms):
            book(worker, room, at(1, 9 + index), at(1, 10 + index))
        everything = selectors.availability(user=worker, within=community, start=at(1, 8), end=at(3, 21), minutes=60,
                                            capacity=20, limit=1000)
        assert len({w.room.pk for w in everything}) == 6
        for limit in (1, 3, 7, 12):
            head = selectors.availability(user=worker, within=community, start=at(1, 8), end=at(3, 21), minutes=60,
                                          capacity=20, limit=limit)
            assert [(w.room.pk, w.start) for w in head] == [(w.room.pk, w.start) for w in everything[:limit]]

    def test_closures_and_buffers_shrink_the_windows(self, world, room):
        services.policy_update(actor=world.users["community_worker"], room=room, data={"buffer_minutes": 30})
        book(world.users["community_worker"], room, at(1, 10), at(1, 11))
        windows = selectors.availability(user=world.users["community_worker"], within=room.site.division, start=at(1, 9),
                                         end=at(1, 13), minutes=30)
        spans = [(timezone.localtime(w.start).strftime("%H:%M"), timezone.localtime(w.end).strftime("%H:%M")) for w in windows]
        assert sorted(spans) == [("09:00", "09:30"), ("11:30", "13:00")]  # 30 minutes kept free on either side

    def test_the_api_searches_within_a_division(self, client, world, room):
        client.force_login(world.users["resident"])
        response = client.get("/api/v1/scheduling/availability", {
            "within": world.node("甲市一区一街一社").code, "start": at(1, 9).isoformat(), "end": at(1, 12).isoformat(),
            "minutes": 60, "capacity": 20})
        assert response.status_code == 200, response.content
        assert response.json()[0]["room_name"] == "多功能室"


def days(first: int, last: int) -> selectors.UsagePeriod:
    """The days ``first`` to ``last`` from today (both included)."""
    return selectors.UsagePeriod(at(first, 0).date(), at(last + 1, 0).date())


def booked_earlier(user, room, start, end, **extra):
    """A booking of a past hour, made the day before it."""
    return services.booking_create(actor=user, room=room, start=start, end=end, title=extra.pop("title", "活动"),
                                   now=start - timedelta(days=1), **extra)


@pytest.mark.django_db
class TestUtilisation:
    def test_booked_and_used_hours_against_bookable_hours(self, world, room):
        worker = world.users["community_worker"]
        first = book(worker, room, at(1, 9), at(1, 11))
        book(worker, room, at(1, 14), at(1, 17))
        services.booking_check_in(actor=worker, booking=first, now=at(1, 9, 5))
        rows = selectors.utilisation(user=worker, within=room.site.division, period=days(1, 1))
        usage = next(r for r in rows if r.key == room.pk)
        assert usage.bookable_hours == 13.0 and usage.booked_hours == 5.0 and usage.used_hours == 2.0
        assert round(usage.rate, 3) == round(5 / 13, 3)

    def test_a_room_without_hours_of_its_own_counts_its_sites_hours_and_closures_are_taken_off(self, world, room):
        worker = world.users["community_worker"]
        book(worker, make_room(room.site.division, name="会议室", site=room.site), at(1, 9), at(1, 10))  # the community records bookings
        services.policy_update(actor=worker, room=room, data={"bookable_hours": {str(d): [] for d in range(1, 8)}})
        services.closure_create(actor=worker, site=room.site, room=room, start=at(1, 18), end=at(1, 23), reason="检修")
        usage = next(r for r in selectors.utilisation(user=worker, within=room.site.division, period=days(1, 1)) if r.key == room.pk)
        assert usage.bookable_hours == 13.0 - 3.0  # the site's 08:00–21:00, less the closed 18:00–21:00

    def test_weeks_and_idle_rooms(self, world, room):
        quiet = make_room(world.node("甲市一区一街一社"), name="冷清室", site=room.site)
        book(world.users["community_worker"], room, at(1, 8), at(1, 12))
        rows = selectors.utilisation(user=world.users["community_worker"], within=room.site.division, period=days(1, 1), by="week")
        busy = next(r for r in rows if r.key == room.pk)
        assert sum(p["booked"] for p in busy.periods.values()) == 4.0
        assert sum(p["bookable"] for p in busy.periods.values()) == 13.0
        idle = selectors.idle_rooms(user=world.users["community_worker"], within=room.site.division, period=days(1, 1))
        assert [r.label for r in idle] == [f"{quiet.site.name} · 冷清室"]

    def test_a_place_that_records_no_bookings_says_so_and_has_no_idle_room(self, client, world, room):
        worker = world.users["street_admin"]
        elsewhere = make_room(world.node("甲市一区一街二社"), name="活动室")
        book(worker, room, at(1, 9), at(1, 10))
        rows = {r.key: r for r in selectors.utilisation(user=worker, within=world.node("甲市一区一街"), period=days(1, 1),
                                                         group="community")}
        silent = rows[elsewhere.site.division_id]
        assert not silent.recorded and silent.rate is None and rows[room.site.division_id].rate is not None
        idle = selectors.idle_rooms(user=worker, within=world.node("甲市一区一街"), period=days(1, 1))
        assert elsewhere.pk not in [r.key for r in idle]
        client.force_login(worker)
        page = client.get("/scheduling/utilisation/", {"since": str(at(1, 0).date()), "until": str(at(1, 0).date())}).content.decode()
        assert "无预约记录" in page and "0%" not in page.split(world.node("甲市一区一街二社").name, 1)[1].split("</tr>", 1)[0]

    def test_the_register_and_the_utilisation_page_give_a_room_the_same_rate_over_the_same_stated_period(self, client, world, room):
        worker = world.users["community_worker"]
        for day in (-20, -12, -5, -1):
            booked_earlier(worker, room, at(day, 9), at(day, 12))
        booked_earlier(worker, room, at(-40, 9), at(-40, 12))  # before the window: not counted
        period = selectors.usage_period(division=room.site.division)
        rate = selectors.room_usage([room], period=period)[room.pk].rate
        assert round(rate, 4) == round(12 / (13 * 30), 4)
        client.force_login(worker)
        register = client.get(f"/registry/sites/{room.site_id}/").content.decode()
        utilisation = client.get("/scheduling/utilisation/", {"group": "room"}).content.decode()
        shown = f"{round(rate * 100)}%"
        assert shown in register and shown in utilisation
        for page in (register, utilisation):
            assert "近30天" in page and f"{period.since.month}月{period.since.day}日" in page

    def test_the_idle_threshold_reads_as_a_percentage(self, client, world, room):
        client.force_login(world.users["street_admin"])
        page = client.get("/scheduling/utilisation/").content.decode()
        assert "不足20%" in page and "0.20" not in page

    def test_the_register_shows_no_rate_where_no_booking_is_recorded(self, client, world, room):
        client.force_login(world.users["community_worker"])
        assert "无预约记录" in client.get(f"/registry/sites/{room.site_id}/").content.decode()


@pytest.mark.django_db
class TestCalendarsAndFeeds:
    def test_others_see_busy_time_without_details(self, world, room):
        book(world.users["community_worker"], room, at(1, 9), at(1, 10), title="党员大会")
        resident_view = selectors.calendar_events(user=world.users["resident"], rooms=[room], start=at(1, 0), end=at(2, 0))
        worker_view = selectors.calendar_events(user=world.users["community_worker"], rooms=[room], start=at(1, 0), end=at(2, 0))
        assert "党员大会" not in json.dumps(resident_view, ensure_ascii=False)
        assert "党员大会" in json.dumps(worker_view, ensure_ascii=False)

    def test_a_room_feed_is_valid_icalendar(self, client, world, room):
        booking = book(world.users["community_worker"], room, at(1, 9), at(1, 10, 30), title="调解会")
        token = ical.feed_token(user=world.users["community_worker"], kind="room", pk=room.pk)
        response = client.get(f"/scheduling/ical/{token}.ics")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
        calendar = Calendar.from_ical(response.content)
        events = list(calendar.walk("VEVENT"))
        assert [str(e["uid"]) for e in events] == [f"booking-{booking.pk}@linli"]
        assert events[0].decoded("dtstart") == booking.starts_at
        assert str(events[0]["summary"]) == "调解会"

    def test_a_forged_or_outdated_feed_link_finds_nothing(self, client, world, room):
        assert client.get("/scheduling/ical/not-a-token.ics").status_code == 404
        token = ical.feed_token(user=world.users["resident_b"], kind="room", pk=room.pk)  # signed, but not theirs to see
        assert client.get(f"/scheduling/ical/{token}.ics").status_code == 404


@pytest.mark.django_db
class TestApi:
    def test_book_list_and_cancel_through_the_api(self, client, world, room):
        client.force_login(world.users["resident"])
        response = post(client, "/api/v1/scheduling/bookings", {"room_id": room.pk, "starts_at": at(1, 14), "ends_at": at(1, 15),
                                                                "title": "读书会", "attendees": 8})
        assert response.status_code == 201, response.content
        booking_id = response.json()["id"]
        mine = client.get("/api/v1/scheduling/bookings/mine").json()
        assert [b["id"] for b in mine["items"]] == [booking_id]
        clash = post(client, "/api/v1/scheduling/bookings", {"room_id": room.pk, "starts_at": at(1, 14, 30), "ends_at": at(1, 15, 30),
                                                             "title": "x"})
        assert clash.status_code == 409 and clash.json()["code"] == "already_booked"
        cancelled = post(client, f"/api/v1/scheduling/bookings/{booking_id}/cancel", {"scope": "one", "reason": "改期"})
        assert cancelled.status_code == 200 and cancelled.json()[0]["status"] == "cancelled"

    def test_a_series_collision_lists_the_dates(self, client, world, room):
        client.force_login(world.users["community_worker"])
        book(world.users["resident"], room, at(8, 9), at(8, 10))
        response = post(client, "/api/v1/scheduling/series", {"room_id": room.pk, "title": "太极", "dtstart": at(1, 9),
                                                               "duration_minutes": 60, "rrule": "FREQ=WEEKLY;COUNT=3"})
        assert response.status_code == 409 and response.json()["fields"]["dates"] == [at(8, 9).strftime("%Y-%m-%d %H:%M")]
        response = post(client, "/api/v1/scheduling/series", {"room_id": room.pk, "title": "太极", "dtstart": at(1, 9),
                                                               "duration_minutes": 60, "rrule": "FREQ=WEEKLY;COUNT=3",
                                                               "skip_conflicts": True})
        assert response.status_code == 201 and len(response.json()["booked"]) == 2

    def test_end_before_start_is_a_422_that_writes_nothing(self, client, world, room):
        client.force_login(world.users["resident"])
        response = post(client, "/api/v1/scheduling/bookings", {"room_id": room.pk, "starts_at": at(1, 15), "ends_at": at(1, 14), "title": "x"})
        assert response.status_code == 422
        assert not Booking.objects.exists()

    def test_the_rules_of_a_room_are_changed_by_its_staff(self, client, world, room):
        client.force_login(world.users["community_worker"])
        response = client.patch(f"/api/v1/scheduling/rooms/{room.pk}/policy", data=json.dumps(
            {"approval_required": True, "bookable_hours": "周一至周五 09:00-17:00", "bookers": ["staff", "resident"]}),
            content_type="application/json")
        assert response.status_code == 200, response.content
        assert response.json()["bookable_hours"]["1"] == [["09:00", "17:00"]]
        client.force_login(world.users["resident"])
        assert client.patch(f"/api/v1/scheduling/rooms/{room.pk}/policy", data="{}", content_type="application/json").status_code == 403

    def test_utilisation_for_staff_only(self, client, world, room):
        client.force_login(world.users["street_admin"])
        book(world.users["street_admin"], room, at(1, 9), at(1, 10))
        response = client.get("/api/v1/scheduling/utilisation", {"within": world.node("甲市一区一街").code,
                                                                  "since": str(timezone.localdate()), "until": str(timezone.localdate() + timedelta(days=7)),
                                                                  "group": "community", "period": "week"})
        assert response.status_code == 200 and response.json()[0]["label"] and response.json()[0]["recorded"]
        assert round(response.json()[0]["booked_hours"], 1) == 1.0
        client.force_login(world.users["resident"])
        assert client.get("/api/v1/scheduling/utilisation", {"within": world.node("甲市一区一街一社").code, "since": "2026-01-01",
                                                              "until": "2026-02-01"}).status_code == 403


@pytest.mark.django_db
class TestPages:
    def test_a_resident_books_on_the_rooms_page(self, client, world, room):
        client.force_login(world.users["resident"])
        page = client.get(f"/scheduling/rooms/{room.pk}/")
        assert page.status_code == 200 and 'id="calendar"' in page.content.decode()
        day = at(1, 0).date()
        response = client.post(f"/scheduling/rooms/{room.pk}/", {"title": "亲子绘本", "day": str(day), "start": "10:00", "end": "11:00",
                                                                "attendees": 10})
        assert response.status_code == 302
        booking = Booking.objects.get()
        assert booking.title == "亲子绘本" and booking.status == BookingStatus.CONFIRMED
        assert client.get("/scheduling/").status_code == 200

    def test_a_weekly_booking_from_the_page(self, client, world, room):
        client.force_login(world.users["community_worker"])
        response = client.post(f"/scheduling/rooms/{room.pk}/", {"title": "书法班", "day": str(at(1, 0).date()), "start": "15:00",
                                                                "end": "16:30", "attendees": 10, "repeat": "WEEKLY", "repeat_count": 4})
        assert response.status_code == 302
        assert Booking.objects.filter(series__isnull=False).count() == 4

    def test_the_utilisation_page_for_a_street(self, client, world, room):
        book(world.users["community_worker"], room, at(1, 9), at(1, 10))
        client.force_login(world.users["street_admin"])
        page = client.get("/scheduling/utilisation/")
        assert page.status_code == 200 and world.node("甲市一区一街一社").name in page.content.decode()
