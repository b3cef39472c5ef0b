"""Who does what, the same on the pages and in the API: grid workers record the needs of their grid,
the civil-affairs supervisor reads without changing anything, residents stay off the staff pages."""

import pytest

from accounts.permissions import GRANTS, SUBTREE
from scheduling.models import Booking

from .. import selectors, services
from ..models import Activity, FeedbackRequest, Need, NeedStatus, ServiceOrder
from .conftest import agree, at, publish

pytestmark = pytest.mark.django_db
COMMUNITY = "甲市一区一街一社"
JSON = "application/json"


def kind(code):
    return selectors.need_kinds().get(code=code)


# Grid workers (网格员): community workers held at a grid.

def test_a_grid_worker_records_a_need_on_the_page_filed_under_their_grid(client, world, grids):
    client.force_login(grids["worker"])
    page = client.get("/neighbourhood/needs/new/")
    assert page.status_code == 200 and "甲市一区一街一社一格" in page.content.decode()
    response = client.post("/neighbourhood/needs/new/", {"kind": kind("elderly_meals").pk, "title": "独居老人吃饭难",
                                                         "on_behalf_of": "5号楼张大爷", "grid": grids["first"].code, "confirm": "1"})
    need = Need.objects.get()
    assert response.status_code == 302 and (need.community, need.grid, need.source) == (world.node(COMMUNITY), grids["first"], "grid_worker")
    assert client.get(response["Location"]).status_code == 200  # they see what they recorded
    assert "独居老人吃饭难" in client.get(f"/neighbourhood/staff/{grids['first'].code}/needs/").content.decode()


def test_a_grid_worker_records_through_the_api_and_the_neighbours_are_refused(client, world, grids):
    community = world.node(COMMUNITY)
    client.force_login(grids["worker"])
    created = client.post("/api/v1/neighbourhood/needs", {"kind": "after_school", "title": "四点半课堂", "on_behalf_of": "双职工家庭"},
                          content_type=JSON)
    assert created.status_code == 201, created.content
    assert (created.json()["community"], created.json()["grid"], created.json()["source"]) == (community.code, grids["first"].code,
                                                                                              "grid_worker")
    client.force_login(grids["neighbour"])  # the grid beside, in the same community
    assert client.post("/api/v1/neighbourhood/needs", {"kind": "after_school", "grid": grids["first"].code},
                       content_type=JSON).status_code == 404
    client.force_login(grids["next_door"])  # a grid of the community next door
    assert client.post("/api/v1/neighbourhood/needs", {"kind": "after_school", "community": community.code},
                       content_type=JSON).status_code == 404
    assert client.post("/neighbourhood/needs/new/?community=" + community.code, {"kind": kind("after_school").pk}).status_code == 404
    assert Need.objects.count() == 1


def test_the_communitys_worker_names_a_grid_through_the_api(client, world, grids):
    client.force_login(world.users["community_worker"])
    created = client.post("/api/v1/neighbourhood/needs", {"kind": "street_lights", "community": world.node(COMMUNITY).code,
                                                          "grid": grids["second"].code}, content_type=JSON)
    assert created.status_code == 201 and created.json()["grid"] == grids["second"].code


# The supervisor reads; pages and API refuse the same writes.

@pytest.fixture
def supervisor(world):
    return world.users["supervisor"]


def test_the_permission_table_and_the_staff_roles_agree():
    staff = {role for role, reach in GRANTS["neighbourhood.change_need"].items() if reach == SUBTREE}
    assert set(services.STAFF_ROLES) == staff
    for perm in ("neighbourhood.change_feedbackrequest", "neighbourhood.change_serviceorder", "neighbourhood.add_activity"):
        assert set(services.STAFF_ROLES) <= set(GRANTS[perm]) and "supervisor" not in GRANTS[perm]


def test_the_supervisor_may_not_mark_a_need_on_the_page_or_by_the_api(client, world, supervisor):
    need = services.need_record(actor=world.users["resident"], community=world.node(COMMUNITY), kind=kind("tai_chi"), title="想学太极")
    client.force_login(supervisor)
    assert client.get(f"/neighbourhood/needs/{need.pk}/").status_code == 200  # reads it
    assert client.post(f"/neighbourhood/needs/{need.pk}/", {"mark": "1", "status": "planned", "note": "x"}).status_code == 403
    assert client.post(f"/api/v1/neighbourhood/needs/{need.pk}/status", {"status": "planned", "note": "x"},
                       content_type=JSON).status_code == 403
    need.refresh_from_db()
    assert need.status == NeedStatus.OPEN


def test_the_supervisor_may_not_update_feedback_on_the_page_or_by_the_api(client, world, supervisor):
    item = services.feedback_submit(actor=world.users["resident"], category="noise", description="夜里噪音")
    client.force_login(supervisor)
    assert client.get(f"/neighbourhood/staff/{world.node(COMMUNITY).code}/feedback/").status_code == 200  # reads the queue
    assert client.post(f"/neighbourhood/feedback/{item.pk}/", {"status": "resolved", "public_note": "已处理"}).status_code == 403
    assert client.post(f"/api/v1/neighbourhood/feedback/{item.pk}/updates", {"status": "resolved", "public_note": "已处理"},
                       content_type=JSON).status_code == 403
    assert FeedbackRequest.objects.get().status == "submitted"


def test_the_supervisor_may_not_publish_an_activity_on_the_page_or_by_the_api(client, world, supervisor):
    code = world.node(COMMUNITY).code
    client.force_login(supervisor)
    assert client.get(f"/neighbourhood/staff/{code}/activities/new/").status_code == 403
    assert client.post(f"/neighbourhood/staff/{code}/activities/new/", {
        "title": "督导办活动", "category": "food_recreation", "audience": "everyone", "tier": "free", "price": "0", "capacity": 10,
        "places_per_registration": 1, "place": "广场", "day": at(3, 9).date().isoformat(), "start": "09:30", "end": "11:00",
        "weeks": 1}).status_code == 403
    assert client.post("/api/v1/neighbourhood/activities", {
        "community": code, "title": "督导办活动", "category": "food_recreation", "capacity": 10, "place": "广场",
        "starts_at": at(3, 9).isoformat(), "ends_at": at(3, 10).isoformat()}, content_type=JSON).status_code == 403
    assert not Activity.objects.exists()


def test_the_supervisor_may_not_schedule_an_order_on_the_page_or_by_the_api(client, world, supervisor, room):
    community = world.node(COMMUNITY)
    operator = world.organisations["甲市一区一街一社服务中心"]
    agree(world, community, operator, name="上门理发", category="elderly_child")
    order = services.order_place(actor=world.users["resident"], category="elderly_child", title="理发", operator=operator)
    services.order_accept(actor=world.users["operator_staff"], order=order, operator=operator)
    client.force_login(supervisor)
    day = at(2, 9)
    assert client.post(f"/neighbourhood/orders/{order.pk}/", {"schedule": "1", "room": room.pk, "day": day.date().isoformat(),
                                                              "start": "09:00", "end": "10:00"}).status_code == 403
    assert client.post(f"/api/v1/neighbourhood/orders/{order.pk}/schedule", {
        "room_id": room.pk, "starts_at": day.isoformat(), "ends_at": at(2, 10).isoformat()}, content_type=JSON).status_code == 403
    assert ServiceOrder.objects.get().status == "accepted" and not Booking.objects.exists()


# Residents stay off the staff pages.

@pytest.mark.parametrize("page", ["needs", "orders", "activities", "feedback", "person-times", "activities/new"])
def test_residents_are_refused_the_staff_pages(client, world, page):
    client.force_login(world.users["resident"])
    assert client.get(f"/neighbourhood/staff/{world.node(COMMUNITY).code}/{page}/").status_code == 403
    assert client.get(f"/neighbourhood/staff/{world.node('甲市一区一街二社').code}/{page}/").status_code == 404  # not even theirs
    assert client.get("/neighbourhood/staff/").status_code == 403


def test_the_staff_pages_open_for_the_communitys_worker(client, world):
    publish(world.users["community_worker"], world.node(COMMUNITY))
    client.force_login(world.users["community_worker"])
    for page in ("needs", "orders", "activities", "feedback", "person-times", "activities/new"):
        assert client.get(f"/neighbourhood/staff/{world.node(COMMUNITY).code}/{page}/").status_code == 200, page
