from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from registry import services as registry_services
from registry.hours import parse_hours


def at(days: int, hour: int, minute: int = 0) -> datetime:
    """A moment ``days`` from today at ``hour:minute``, local time."""
    day = timezone.localdate() + timedelta(days=days)
    return datetime.combine(day, datetime.min.time(), tzinfo=timezone.get_current_timezone()).replace(hour=hour, minute=minute)


def make_room(community, *, name="多功能室", capacity=30, equipment=("投影仪",), hours="每天 08:00-21:00", area="60", site=None):
    site = site or registry_services.site_create(
        actor="test", division=community, name=f"{community.name}中心", kind="party_mass_centre", floor_area=Decimal("900"),
        property_class="state_admin", property_source="street_owned", opening_hours=parse_hours(hours))
    return registry_services.room_create(actor="test", site=site, name=name, area=Decimal(area), capacity=capacity,
                                         equipment=list(equipment))


@pytest.fixture
def room(world):
    return make_room(world.node("甲市一区一街一社"))
