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
    from scheduling.services import policy_update

    room = make_room(community, capacity=40)
    policy_update(actor="test", room=room, data={"horizon_days": 120})  # a ten-week course fits
    return room


@pytest.fixture
def worker(world):
    return world.users["community_worker"]


@pytest.fixture
def resident(world):
    return world.users["resident"]


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
