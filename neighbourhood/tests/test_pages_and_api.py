"""Pages and API: what each role sees and may do, refusals in Chinese, and no list costing a query per row."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from .. import selectors, services
from ..models import Activity, ServiceOrder
from .conftest import agree, publish, residents

pytestmark = pytest.mark.django_db
COMMUNITY = "甲市一区一街一社"


def fill(world, n: int) -> None:
    """``n`` more of everything in the community: activities with registrations, needs with supporters, orders, feedback."""
    community = world.node(COMMUNITY)
    worker, resident = world.users["community_worker"], world.users["resident"]
    kinds = list(selectors.need_kinds()[:n])
    for i in range(n):
        people = residents(world, 3, prefix=f"p{n}_{i}_")
        activity = publish(worker, community, title=f"活动{n}-{i}", days=1 + i % 5, hour=9 + i % 8, rrule="FREQ=WEEKLY;COUNT=3" if i % 2 else "")
        for person in people:
            services.registration_create(actor=person, activity=activity)
        need = services.need_record(actor=people[0], community=community, kind=kinds[i], title=f"需求{n}-{i}")
        services.need_support(actor=people[1], need=need)
        services.order_place(actor=people[i % 3], category="living_environment", title=f"维修{n}-{i}")
        services.feedback_submit(actor=people[i % 3], category="noise", description=f"噪声{n}-{i}")
    services.registration_create(actor=resident, activity=Activity.objects.filter(title__startswith=f"活动{n}-").first())


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return len(captured)


PAGES = {
    "community_worker": ["/neighbourhood/staff/", "/neighbourhood/staff/{code}/needs/", "/neighbourhood/staff/{code}/orders/",
                         "/neighbourhood/staff/{code}/activities/", "/neighbourhood/staff/{code}/feedback/",
                         "/neighbourhood/staff/{code}/person-times/?by=activity", "/api/v1/neighbourhood/needs",
                         "/api/v1/neighbourhood/activities", "/api/v1/neighbourhood/orders", "/api/v1/neighbourhood/feedback"],
    "resident": ["/neighbourhood/", "/neighbourhood/activities/", "/neighbourhood/needs/", "/neighbourhood/me/registrations/",
                 "/neighbourhood/orders/", "/neighbourhood/feedback/", "/neighbourhood/services/",
                 "/api/v1/neighbourhood/registrations/mine", "/api/v1/neighbourhood/orders/mine"],
}


@pytest.mark.parametrize("role", sorted(PAGES))
def test_lists_cost_the_same_queries_for_four_times_the_rows(client, world, role):
    code = world.node(COMMUNITY).code
    client.force_login(world.users[role])
    fill(world, 2)
    few = {url: queries(client, url.format(code=code)) for url in PAGES[role]}
    fill(world, 8)
    many = {url: queries(client, url.format(code=code)) for url in PAGES[role]}
    assert many == few


def test_the_staff_manage_an_activity_and_check_people_in_from_the_list(client, world):
    community = world.node(COMMUNITY)
    worker = world.users["community_worker"]
    # Starting in twenty minutes, whatever the time of day: registration open until it starts, check-in open now.
    start = timezone.now() + timedelta(minutes=20)
    activity = publish(worker, community, starts_at=start, ends_at=start + timedelta(minutes=90),
                       registration_closes_at=start - timedelta(minutes=5))
    person = residents(world, 1)[0]
    registration = services.registration_create(actor=person, activity=activity)
    client.force_login(worker)
    page = client.get(f"/neighbourhood/staff/activities/{activity.pk}/")
    assert page.status_code == 200 and "签到二维码" in page.content.decode() and activity.attendance_code in page.content.decode()
    svg = client.get(f"/neighbourhood/staff/activities/{activity.pk}/qr.svg")
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    client.post(f"/neighbourhood/staff/activities/{activity.pk}/", {"check_in": registration.pk})
    assert registration.attendances.count() == 1
    client.force_login(world.users["resident"])
    assert client.get(f"/neighbourhood/staff/activities/{activity.pk}/").status_code == 403


def test_a_resident_publishing_is_refused_and_bad_api_input_gets_chinese_messages(client, world):
    community = world.node(COMMUNITY)
    client.force_login(world.users["resident"])
    response = client.post("/api/v1/neighbourhood/activities", {
        "community": community.code, "title": "居民自己办", "category": "food_recreation", "capacity": 5,
        "starts_at": (timezone.now() + timedelta(days=2)).isoformat(), "ends_at": (timezone.now() + timedelta(days=2, hours=1)).isoformat(),
        "place": "楼下"}, content_type="application/json")
    assert response.status_code == 403 and not Activity.objects.exists()
    response = client.post("/api/v1/neighbourhood/feedback", {"category": "ufo", "description": "x"}, content_type="application/json")
    assert response.status_code == 422 and "未知的诉求类别" in response.json()["message"]


def test_the_api_takes_an_order_the_whole_way(client, world):
    community = world.node(COMMUNITY)
    operator = world.organisations["甲市一区一街一社服务中心"]
    service = agree(world, community, operator, name="上门理发", category="elderly_child", price="10.00")
    client.force_login(world.users["resident"])
    created = client.post("/api/v1/neighbourhood/orders", {"service_id": service.pk, "details": "行动不便"}, content_type="application/json")
    assert created.status_code == 201, created.content
    order_id = created.json()["id"]
    elsewhere = agree(world, world.node("甲市一区一街二社"), world.organisations["甲市一区一街二社服务中心"], name="外社区理发",
                      category="elderly_child")
    refused = client.post("/api/v1/neighbourhood/orders", {"service_id": elsewhere.pk}, content_type="application/json")
    # Another community's service is none of the resident's business: not found, its name never told.
    assert refused.status_code == 404 and "外社区理发" not in refused.content.decode()
    client.force_login(world.users["operator_staff"])
    accepted = client.post(f"/api/v1/neighbourhood/orders/{order_id}/accept", {"operator_id": operator.pk}, content_type="application/json")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    delivered = client.post(f"/api/v1/neighbourhood/orders/{order_id}/deliver", {"people_served": 1}, content_type="application/json")
    assert delivered.json()["status"] == "delivered"
    client.force_login(world.users["resident"])
    rated = client.post(f"/api/v1/neighbourhood/orders/{order_id}/rate", {"rating": 5}, content_type="application/json")
    assert rated.json()["status"] == "rated" and ServiceOrder.objects.get().rating == 5


def test_registering_twice_through_the_api_is_a_409_in_chinese(client, world):
    activity = publish(world.users["community_worker"], world.node(COMMUNITY))
    client.force_login(world.users["resident"])
    first = client.post(f"/api/v1/neighbourhood/activities/{activity.pk}/registrations", {}, content_type="application/json")
    second = client.post(f"/api/v1/neighbourhood/activities/{activity.pk}/registrations", {}, content_type="application/json")
    assert first.status_code == 201 and second.status_code == 409
    assert second.json()["message"] == "您已经报名了这个活动。"


def _manage_queries(client, world, n: int) -> int:
    """The management page of a course with ``n`` sessions and ``n`` people registered (some waiting), half of them checked in each time."""
    from ..models import Attendance, CheckInMethod, Registration

    worker = world.users["community_worker"]
    course = publish(worker, world.node(COMMUNITY), title=f"课程{n}", days=1, capacity=n - 2, rrule=f"FREQ=WEEKLY;COUNT={n}")
    registrations = [services.registration_create(actor=p, activity=course) for p in residents(world, n, prefix=f"m{n}_")]
    sessions = list(course.sessions.all())
    Attendance.objects.bulk_create([
        Attendance(session=s, registration=r, people=r.places, method=CheckInMethod.STAFF, checked_in_at=s.starts_at, checked_in_by=worker)
        for s in sessions for r in registrations[: n // 2] if r.status == "registered"])
    assert Registration.objects.filter(activity=course, status="waitlisted").count() == 2
    client.force_login(worker)
    return queries(client, f"/neighbourhood/staff/activities/{course.pk}/")


def test_the_activity_management_page_costs_the_same_queries_for_four_times_the_sessions_and_people(client, world):
    assert _manage_queries(client, world, 5) == _manage_queries(client, world, 20)


def test_the_person_times_of_an_activity_come_from_its_check_ins(world):
    from ..models import Attendance

    worker = world.users["community_worker"]
    course = publish(worker, world.node(COMMUNITY), title="三次课", days=1, places_per_registration=2, rrule="FREQ=WEEKLY;COUNT=3")
    pair, single = residents(world, 2)
    registrations = [services.registration_create(actor=pair, activity=course, places=2),
                     services.registration_create(actor=single, activity=course)]
    Attendance.objects.bulk_create([
        Attendance(session=s, registration=r, people=r.places, method="staff", checked_in_at=s.starts_at, checked_in_by=worker)
        for s in course.sessions.all()[:2] for r in registrations])
    assert selectors.activity_person_times(activity=course) == 6


def _waiting_on(world, n: int, resident) -> None:
    """``resident`` waits behind someone else on ``n`` more full activities."""
    worker = world.users["community_worker"]
    for i, other in enumerate(residents(world, n, prefix=f"w{n}_")):
        activity = publish(worker, world.node(COMMUNITY), title=f"满员{n}-{i}", days=1 + i % 5, capacity=1)
        services.registration_create(actor=other, activity=activity)
        services.registration_create(actor=residents(world, 1, prefix=f"v{n}_{i}_")[0], activity=activity)
        services.registration_create(actor=resident, activity=activity)


def test_my_registrations_cost_the_same_queries_for_four_times_the_waitlisted_rows(client, world):
    resident = world.users["resident"]
    client.force_login(resident)
    _waiting_on(world, 3, resident)
    few = queries(client, "/neighbourhood/me/registrations/")
    _waiting_on(world, 12, resident)
    page = client.get("/neighbourhood/me/registrations/").content.decode()
    assert page.count("#2") == 15  # second in line everywhere
    assert queries(client, "/neighbourhood/me/registrations/") == few
    positions = {r.activity.title: r.position for r in selectors.my_registrations(user=resident)}
    assert set(positions.values()) == {2} and selectors.waitlist_position(selectors.my_registrations(user=resident).first()) == 2
