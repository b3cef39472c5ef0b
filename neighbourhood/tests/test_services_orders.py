"""Service orders: 群众点单、机构接单、社区供单 — ordered, accepted, venue and time, delivered, rated; every step kept."""

import pytest
from django.utils import timezone

from core.errors import Conflict, PermissionDenied, ValidationFailed
from scheduling.models import BookingStatus

from .. import services
from ..models import OrderEvent, ServiceOrder
from .conftest import agree, at, residents

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(world):
    return world.organisations["甲市一区一街一社服务中心"]


def test_an_order_goes_the_whole_way_and_every_step_is_kept(world, community, room, resident, worker, operator):
    service = agree(world, community, operator, name="助浴服务", category="elderly_child", price="30.00")
    order = services.order_place(actor=resident, service=service, title="", details="母亲行动不便，需要助浴", preferred_time="周六上午")
    assert (order.operator, order.category, order.tier, order.title) == (operator, "elderly_child", "low_cost", "助浴服务")
    staff = world.users["operator_staff"]
    services.order_accept(actor=staff, order=order, operator=operator)
    services.order_schedule(actor=worker, order=order, room=room, start=at(2, 9), end=at(2, 10))
    order.refresh_from_db()
    assert order.booking.status == BookingStatus.CONFIRMED and order.booking.organisation == operator
    with pytest.raises(Conflict):  # not before it happens
        services.order_deliver(actor=staff, order=order, people_served=1)
    services.order_deliver(actor=staff, order=order, people_served=1, now=at(2, 11))
    services.order_rate(actor=resident, order=order, rating=5, comment="很细心", now=at(2, 12))
    steps = list(OrderEvent.objects.filter(order=order).values_list("to_status", "actor__username"))
    assert steps == [("placed", "resident_a"), ("accepted", "operator_staff_a"), ("scheduled", "community_worker_a"),
                     ("delivered", "operator_staff_a"), ("rated", "resident_a")]


def test_an_order_for_a_service_outside_ones_community_is_refused(world, community, resident):
    elsewhere = world.node("甲市一区一街二社")
    service = agree(world, elsewhere, world.organisations["甲市一区一街二社服务中心"], name="家电维修", category="living_environment")
    with pytest.raises(ValidationFailed, match="^您所在社区没有这项服务。$"):
        services.order_place(actor=resident, service=service, title="")
    with pytest.raises(ValidationFailed):
        services.order_place(actor=resident, operator=world.organisations["乙市一区一街一社服务中心"], category="living_environment",
                             title="修水管")
    assert not ServiceOrder.objects.exists()


def test_an_open_order_is_taken_by_one_operator_in_scope_only(world, community, resident, operator):
    order = services.order_place(actor=resident, category="living_environment", title="楼道灯坏了，请人修")
    outsider = world.users["operator_staff"]
    services.order_accept(actor=outsider, order=order, operator=operator)
    with pytest.raises(Conflict):
        services.order_accept(actor=outsider, order=order, operator=operator)
    with pytest.raises(PermissionDenied):
        services.order_accept(actor=world.users["resident"], order=order, operator=operator)


def test_a_pooled_order_gathers_neighbours_and_a_cancel_releases_the_room(world, community, room, resident, worker, operator):
    order = services.order_place(actor=resident, category="medical_wellness", title="上门测血压", pooled=True)
    for person in residents(world, 3):
        services.order_join(actor=person, order=order)
    order.refresh_from_db()
    assert order.participants == 4
    with pytest.raises(PermissionDenied):
        services.order_join(actor=world.users["resident_b"], order=order)
    services.order_accept(actor=world.users["operator_staff"], order=order, operator=operator)
    services.order_schedule(actor=worker, order=order, room=room, start=at(3, 15), end=at(3, 16))
    services.order_cancel(actor=resident, order=order, reason="医生临时有事")
    order.refresh_from_db()
    assert order.status == "cancelled" and order.booking.status == BookingStatus.CANCELLED


def test_ratings_come_from_the_person_who_ordered_after_delivery(world, community, resident, operator):
    order = services.order_place(actor=resident, category="living_environment", title="换锁", operator=operator)
    staff = world.users["operator_staff"]
    services.order_accept(actor=staff, order=order, operator=operator)
    with pytest.raises(Conflict):
        services.order_rate(actor=resident, order=order, rating=4)
    services.order_deliver(actor=staff, order=order)
    with pytest.raises(PermissionDenied):
        services.order_rate(actor=residents(world, 1)[0], order=order, rating=1)
    with pytest.raises(ValidationFailed):
        services.order_rate(actor=resident, order=order, rating=6)
    with pytest.raises(Conflict):  # the pack's 30 days
        services.order_rate(actor=resident, order=order, rating=4, now=timezone.now() + timezone.timedelta(days=31))


def test_the_packs_limits_hold_for_the_people_in_an_order_and_the_people_served(world, community, resident, operator):
    with pytest.raises(ValidationFailed, match="1至50人"):
        services.order_place(actor=resident, category="living_environment", title="大扫除", participants=51)
    order = services.order_place(actor=resident, category="living_environment", title="大扫除", participants=50, pooled=True)
    with pytest.raises(Conflict, match="已达每单人数上限"):
        services.order_join(actor=residents(world, 1)[0], order=order)
    staff = world.users["operator_staff"]
    services.order_accept(actor=staff, order=order, operator=operator)
    with pytest.raises(ValidationFailed, match="0至5000人"):
        services.order_deliver(actor=staff, order=order, people_served=5001)
    assert services.order_deliver(actor=staff, order=order, people_served=5000).people_served == 5000


def test_an_order_is_cancelled_through_the_api_with_a_reason_or_without(client, world, community, resident, operator):
    first = services.order_place(actor=resident, category="living_environment", title="修水管", operator=operator)
    second = services.order_place(actor=resident, category="living_environment", title="修窗户", operator=operator)
    client.force_login(resident)
    response = client.post(f"/api/v1/neighbourhood/orders/{first.pk}/cancel", {"reason": "自己修好了"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert OrderEvent.objects.get(order=first, to_status="cancelled").note == "自己修好了"
    assert client.post(f"/api/v1/neighbourhood/orders/{second.pk}/cancel", content_type="application/json").status_code == 200  # no body
    assert OrderEvent.objects.get(order=second, to_status="cancelled").note == ""
