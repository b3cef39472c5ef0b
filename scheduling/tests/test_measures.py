"""What supervision reads of the rooms' use is the utilisation page's figure: a community's rate is
the one the page shows by community, its idle rooms the rooms the page lists as idle; and while a
month is taken the rooms' usage is read once for both measures."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.measures import Month, taking
from scheduling import measures, selectors, services

from .conftest import at, make_room


def booked_earlier(user, room, start, end):
    return services.booking_create(actor=user, room=room, start=start, end=end, title="活动", now=start - timedelta(days=1))


@pytest.fixture
def last_month_booked(world):
    community = world.node("甲市一区一街一社")
    busy = make_room(community, name="多功能室")
    quiet = make_room(community, name="冷清室", site=busy.site)
    worker = world.users["community_worker"]
    month = Month.of(timezone.localdate()).previous()
    first = (timezone.localdate() - month.since).days
    for day in range(1, 27):
        booked_earlier(worker, busy, at(-first + day, 9), at(-first + day, 13))
    booked_earlier(worker, quiet, at(-first + 2, 9), at(-first + 2, 10))
    return community, month, busy, quiet


@pytest.mark.django_db
class TestRoomMeasures:
    def test_the_rate_and_idle_rooms_are_the_pages(self, world, last_month_booked):
        community, month, _busy, quiet = last_month_booked
        city = world.node("甲市")
        period = selectors.UsagePeriod(month.since, month.until)
        page = {row.key: row for row in selectors.utilisation(user=world.users["community_worker"], within=community,
                                                               period=period, group="community")}[community.pk]
        booked, bookable = measures.utilisation_by_community(city, month)[community.pk]
        assert float(booked) == round(page.booked_hours, 2) and float(bookable) == round(page.bookable_hours, 2)
        idle = selectors.idle_rooms(user=world.users["community_worker"], within=community, period=period)
        assert [row.key for row in idle] == [quiet.pk]
        assert measures.idle_rooms_by_community(city, month)[community.pk] == (1, None)

    def test_while_a_month_is_taken_the_rooms_usage_is_read_once(self, world, last_month_booked):
        _community, month, _busy, _quiet = last_month_booked
        city = world.node("甲市")
        with CaptureQueriesContext(connection) as apart:
            measures.utilisation_by_community(city, month)
            measures.idle_rooms_by_community(city, month)
        with taking(), CaptureQueriesContext(connection) as together:
            first = measures.utilisation_by_community(city, month)
            measures.idle_rooms_by_community(city, month)
        assert len(together) * 2 == len(apart)
        assert first == measures.utilisation_by_community(city, month)  # and afresh outside a taking
