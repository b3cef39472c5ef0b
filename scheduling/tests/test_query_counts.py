"""No list page or API of scheduling costs a query per row: each is read with a few rooms and
bookings, then with four times as many, and must cost the same number of queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from org.services import organisation_create
from scheduling import services

from .conftest import at, make_room

COMMUNITY = "甲市一区一街一社"


def fill(world, rooms: int) -> None:
    """``rooms`` more rooms in one community, each with bookings by several people, a pending
    request and a rotation among departments."""
    community = world.node(COMMUNITY)
    worker, resident = world.users["community_worker"], world.users["resident"]
    departments = [organisation_create(actor="t", name=f"区部门{n}号{rooms}", kind="department", home_division=world.node("甲市一区"))
                   for n in range(2)]
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    site = None
    for n in range(rooms):
        room = make_room(community, name=f"活动室{rooms}-{n}", site=site)
        site = room.site
        services.booking_create(actor=worker, room=room, start=at(1, 9), end=at(1, 10), title="书法班", attendees=10)
        services.booking_create(actor=resident, room=room, start=at(2, 9), end=at(2, 10), title="读书会", attendees=5)
        services.policy_update(actor=worker, room=room, data={"approval_required": True})
        services.booking_create(actor=resident, room=room, start=at(3, 9), end=at(3, 10), title="茶话会", attendees=5)
        services.rotation_create(actor=worker, room=room, name=f"轮值{n}", departments=departments,
                                 slots=[{"weekday": day, "start": "14:00", "end": "16:00"} for day in range(1, 8)],
                                 starts_on=monday + timedelta(days=7), ends_on=monday + timedelta(days=20))


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured)


PAGES = {
    "community_worker": ["/scheduling/", "/scheduling/approvals/", "/scheduling/{code}/rooms/", "/scheduling/rotations/",
                         "/scheduling/utilisation/", "/api/v1/scheduling/bookings", "/api/v1/scheduling/approvals",
                         "/api/v1/scheduling/rotations", "/api/v1/scheduling/calendar/{code}?start={start}&end={end}",
                         "/api/v1/scheduling/availability?within={code}&start={start}&end={end}&capacity=5&minutes=60",
                         "/api/v1/scheduling/utilisation?within={code}&since={since}&until={until}&period=week"],
    "resident": ["/scheduling/", "/api/v1/scheduling/bookings/mine"],
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(PAGES))
def test_scheduling_lists_cost_the_same_queries_for_four_times_the_rows(client, world, role):
    code = world.node(COMMUNITY).code
    values = {"code": code, "start": at(-1, 0).isoformat(), "end": at(14, 0).isoformat(),
              "since": at(-7, 0).date(), "until": at(21, 0).date()}
    urls = [url.format(**values).replace("+", "%2B") for url in PAGES[role]]
    client.force_login(world.users[role])
    fill(world, 2)
    few = {url: queries(client, url) for url in urls}
    fill(world, 8)
    many = {url: queries(client, url) for url in urls}
    assert many == few
