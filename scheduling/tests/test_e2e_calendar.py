"""End to end in a real browser: a room's calendar on a desk, a resident's bookings on a phone."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from scheduling import services
from tests.browser import browser_page, requires_chromium, screenshot, sign_in

from .conftest import at, make_room

pytestmark = [requires_chromium, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_worker_sees_the_room_week_and_month_and_books_from_the_page(live_server, world):
    worker = world.users["community_worker"]
    room = make_room(world.node("甲市一区一街一社"), name="多功能活动室", capacity=40)
    tomorrow = at(1, 9)
    services.booking_create(actor=worker, room=room, start=tomorrow, end=at(1, 11), title="书法班", attendees=20)
    services.booking_create(actor=world.users["resident"], room=room, start=at(1, 19), end=at(1, 20, 30), title="合唱团排练",
                            attendees=25)
    with browser_page() as page:
        sign_in(page, live_server.url, worker.username)
        page.goto(f"{live_server.url}/scheduling/rooms/{room.pk}/")
        page.wait_for_selector(".fc-timegrid-slot", timeout=10000)
        if timezone.localtime(tomorrow).isoweekday() == 1:  # tomorrow is in next week's view
            page.click(".fc-next-button")
        page.wait_for_selector(".fc-timegrid-event", timeout=10000)
        events = page.locator(".fc-timegrid-event").all_inner_texts()
        assert any("书法班" in text and "09:00" in text for text in events), events
        assert any("合唱团排练" in text for text in events), events
        assert page.locator(".fc-today-button").inner_text() == "今天"  # the calendar speaks Chinese
        screenshot(page, "room-calendar-week")

        # Book the evening after tomorrow from the form beside the calendar.
        day = timezone.localtime(at(2, 18)).date()
        page.fill("#booking-form [name=title]", "邻里茶话会")
        page.fill("#booking-form [name=day]", day.isoformat())
        page.fill("#booking-form [name=start]", "18:00")
        page.fill("#booking-form [name=end]", "19:30")
        page.fill("#booking-form [name=attendees]", "15")
        page.click("#booking-form button.btn-primary")
        page.wait_for_selector(".alert-success", timeout=10000)
        assert "预约成功" in page.locator(".alert-success").inner_text()
        assert room.bookings.filter(title="邻里茶话会", starts_at=at(2, 18)).exists()

        page.goto(f"{live_server.url}/scheduling/rooms/{room.pk}/")
        page.click(".fc-dayGridMonth-button")
        if day.month != timezone.localdate().month:
            page.click(".fc-next-button")
        page.wait_for_selector(".fc-daygrid-event", timeout=10000)
        month = " ".join(page.locator(".fc-daygrid-event").all_inner_texts())
        assert "邻里茶话会" in month and "书法班" in month, month
        screenshot(page, "room-calendar-month")

        # The same booking is refused a second time, with the reason in Chinese and nothing written.
        page.goto(f"{live_server.url}/scheduling/rooms/{room.pk}/")
        page.fill("#booking-form [name=title]", "重复")
        page.fill("#booking-form [name=day]", day.isoformat())
        page.fill("#booking-form [name=start]", "18:30")
        page.fill("#booking-form [name=end]", "19:00")
        page.click("#booking-form button.btn-primary")
        page.wait_for_selector("#booking-form .alert-danger", timeout=10000)
        assert "已被预约" in page.locator("#booking-form .alert-danger").inner_text()
        assert not room.bookings.filter(title="重复").exists()


def test_a_resident_checks_in_from_a_phone(live_server, world):
    resident = world.users["resident"]
    room = make_room(world.node("甲市一区一街一社"), name="阅览室", hours="每天 00:00-24:00")
    now = timezone.localtime()
    start = (now + timedelta(minutes=30 - now.minute % 30)).replace(second=0, microsecond=0)
    # Within one day's opening hours whatever the time the test runs: at 23:15 it is 23:30-24:00.
    midnight = (start + timedelta(days=1)).replace(hour=0, minute=0)
    booking = services.booking_create(actor=resident, room=room, start=start, end=min(start + timedelta(hours=1), midnight),
                                      title="读书会", attendees=6)
    with browser_page(phone=True) as page:
        sign_in(page, live_server.url, resident.username)
        page.goto(f"{live_server.url}/scheduling/")
        assert "我的预约" in page.locator("h1").inner_text()
        assert "读书会" in page.locator("main").inner_text()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width}px wide on a 390px phone"
        screenshot(page, "my-bookings-phone")

        page.click("text=读书会")
        page.wait_for_url(f"{live_server.url}/scheduling/bookings/{booking.pk}/")
        page.click("button[name=check_in]")
        page.wait_for_selector(".alert-success", timeout=10000)
        assert "签到成功" in page.locator(".alert-success").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, "check-in-phone")
    booking.refresh_from_db()
    assert booking.checked_in_at is not None and booking.checked_in_by_id == resident.pk


def test_the_room_calendar_is_a_list_on_a_phone(live_server, world):
    room = make_room(world.node("甲市一区一街一社"))
    services.booking_create(actor=world.users["community_worker"], room=room, start=at(1, 14), end=at(1, 15), title="健康讲座",
                            attendees=10)
    with browser_page(phone=True) as page:
        sign_in(page, live_server.url, world.users["resident"].username)
        page.goto(f"{live_server.url}/scheduling/rooms/{room.pk}/")
        page.wait_for_selector(".fc-list", timeout=10000)
        if datetime.isoweekday(timezone.localdate()) == 7:
            page.click(".fc-next-button")
        page.wait_for_selector(".fc-list-event", timeout=10000)
        listed = page.locator(".fc-list-event").all_inner_texts()
        # A resident sees that the time is taken, not what others booked it for.
        assert listed and all("健康讲座" not in text for text in listed), listed
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, "room-calendar-phone")
