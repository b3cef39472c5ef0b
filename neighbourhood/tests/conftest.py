from datetime import timedelta

import pytest
from django.utils import timezone

from scheduling.tests.conftest import at, make_room
from tests.world import make_user

from .. import services

__all__ = ["at", "make_room"]


@pytest.fixture
def community(world):
    return world.node("甲市一区一街一社")


@pytest.fixture
def room(world, community):
    """A room at the community's service station: not a star-rated centre, so its activities are registered for
    online whatever the city's gate (the gate itself is tested with a centre of its own)."""
    from decimal import Decimal

    from registry import services as registry_services
    from registry.hours import parse_hours
    from scheduling.services import policy_update

    station = registry_services.site_create(
        actor="test", division=community, name=f"{community.name}服务站", kind="service_station", floor_area=Decimal("600"),
        property_class="state_admin", property_source="street_owned", opening_hours=parse_hours("每天 08:00-21:00"))
    room = make_room(community, capacity=40, site=station)
    policy_update(actor="test", room=room, data={"horizon_days": 120})  # a ten-week course fits
    return room


@pytest.fixture
def worker(world):
    return world.users["community_worker"]


@pytest.fixture
def resident(world):
    return world.users["resident"]


@pytest.fixture
def grids(world, community):
    """The community's grid 一格 with a second grid 二格 beside it, and a grid worker at each (and one next door)."""
    from org import services as org_services
    from tests.world import make_user

    first = world.node("甲市一区一街一社一格")
    second = org_services.division_create(actor="test", parent=community, code=f"{community.code}-02", name="甲市一区一街一社二格")
    return {
        "first": first, "second": second,
        "worker": make_user("wangge1", role="community_worker", division=first),
        "neighbour": make_user("wangge2", role="community_worker", division=second),
        "next_door": make_user("wangge3", role="community_worker", division=world.node("甲市一区一街二社一格")),
    }


def residents(world, n: int, community_name: str = "甲市一区一街一社", prefix: str = "jumin") -> list:
    return [make_user(f"{prefix}{i}", role="resident", division=world.node(community_name)) for i in range(n)]


def publish(actor, community, *, room=None, days: int = 3, hour: int = 10, capacity: int = 10, **kwargs):
    start = at(days, hour)
    values = {"title": "太极拳入门", "category": "food_recreation", "capacity": capacity, "starts_at": start,
              "ends_at": start + timedelta(minutes=90), "room": room, "place": "" if room else "社区广场"}
    values.update(kwargs)
    return services.activity_publish(actor=actor, community=community, **values)


def soon(minutes: int = 0):
    return timezone.now() + timedelta(minutes=minutes)


def agree(world, community, operator, *, name: str, category: str, tier: str = "low_cost", price: str = "15.00",
          description: str = "", capacity: int = 20, admitted_for=None):
    """An operator admitted by the street and an agreement in force with the community offering one service."""
    from datetime import date

    from operations.models import Admission, Agreement, AgreementService

    today = timezone.localdate()
    street = community.parent
    admission = Admission.objects.filter(operator=operator, division=street).first() or Admission.objects.create(
        operator=operator, division=street, status="admitted", categories=admitted_for or [category], scope_description=name,
        applied_by=world.users["street_admin"], applied_at=timezone.now(), valid_from=date(today.year - 1, 1, 1),
        valid_until=date(today.year + 2, 12, 31))
    agreement = Agreement.objects.create(
        division=community, operator=operator, admission=admission, title=f"{community.name}·{operator.name}", mode="co_operated",
        status="active", starts_on=date(today.year - 1, 1, 1), ends_on=date(today.year + 2, 12, 31),
        drafted_by=world.users["community_worker"])
    return AgreementService.objects.create(agreement=agreement, name=name, description=description, category=category, tier=tier,
                                           price=price if tier != "free" else "0", capacity=capacity)
