from decimal import Decimal

import pytest

from registry import services

REQUIRED = ["party_hall", "party_members_room", "elderly_care", "childcare", "women_children_station", "health_station",
            "elderly_canteen", "residents_lounge", "service_window", "mediation_room"]


def make_site(community, *, name="党群服务中心", kind="party_mass_centre", area="900", ground="600", entrance=True, **extra):
    return services.site_create(
        actor="test", division=community, name=name, kind=kind, floor_area=Decimal(area), ground_floor_area=Decimal(ground),
        independent_entrance=entrance, property_class=extra.pop("property_class", "state_admin"),
        property_source=extra.pop("property_source", "street_owned"), **extra,
    )


@pytest.fixture
def compliant_community(world):
    """甲市一区一街一社 with a register that meets every default standard."""
    community = world.node("甲市一区一街一社")
    centre = make_site(community, area="900", ground="600")
    services.room_create(actor="test", site=centre, name="党群服务大厅", area=Decimal("200"), functions=REQUIRED[:2] + REQUIRED[7:])
    services.room_create(actor="test", site=centre, name="办公室", area=Decimal("100"), use="office")
    care = make_site(community, name="一老一小服务中心", kind="elderly_care", area="700", ground="700")
    services.room_create(actor="test", site=care, name="照料室", area=Decimal("300"), functions=REQUIRED[2:7])
    return community
