"""The measure of communities with every facility for the old and the young (Haining's "一老一小"):
read off the compliance report's functions against the catalogue's "一老一小" set, apart from the
1+6+X completeness measure, and watched by a dated, cited indicator of the default pack that
carries no weight in the yearly assessment."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from core.measures import MEASURES, RATE, Month
from registry import services
from rulepack.services import default_pack_content, rulepack_load
from supervision import selectors as supervision_selectors

from .conftest import make_site

pytestmark = pytest.mark.django_db

CODE = "registry.elderly_child_facilities"
NOVEMBER = Month(date(2026, 11, 1))
ONE, NOUGHT = Decimal(1), Decimal(0)
# The required functions the default catalogue tags "一老一小" (Haining's list of facilities).
ELDERLY_CHILD = ["elderly_care", "childcare", "women_children_station", "health_station", "elderly_canteen"]


def figures(world, code=CODE):
    return MEASURES[code].compute(world.node("甲市"), NOVEMBER)


def fit_out(community, functions):
    """A care centre whose one room gives ``functions``, and nothing else of the 1+6+X catalogue."""
    care = make_site(community, name="一老一小服务中心", kind="elderly_care", area="700", ground="700")
    return services.room_create(actor="test", site=care, name="照料室", area=Decimal("300"), functions=functions)


def test_it_is_a_share_of_communities():
    declared = MEASURES[CODE]
    assert (declared.kind, declared.unit, declared.level, declared.flow) == (RATE, "share", "community", False)
    with translation.override("en"):
        assert str(declared.label) == "communities with every facility for the old and the young"


def test_a_community_with_every_facility_counts_one_over_one_and_one_missing_a_facility_nought(world):
    complete, short = world.node("甲市一区一街一社"), world.node("甲市一区一街二社")
    fit_out(complete, ELDERLY_CHILD)
    fit_out(short, [code for code in ELDERLY_CHILD if code != "elderly_canteen"])
    found = figures(world)
    assert found[complete.pk] == (ONE, ONE)
    assert found[short.pk] == (NOUGHT, ONE)
    # every community of the city is judged: the six with no rooms count nought over one
    assert len(found) == 8 and sum(n for n, _d in found.values()) == 1 and sum(d for _n, d in found.values()) == 8


def test_it_is_apart_from_the_1_6_x_completeness(world):
    community = world.node("甲市一区一街一社")
    fit_out(community, ELDERLY_CHILD)  # no party hall, lounge, window or mediation room
    assert figures(world)[community.pk] == (ONE, ONE)
    assert figures(world, "registry.function_completeness")[community.pk] == (NOUGHT, ONE)


def test_recommended_functions_do_not_stand_in_for_a_required_one(world):
    community = world.node("甲市一区一街一社")
    fit_out(community, [code for code in ELDERLY_CHILD if code != "childcare"] + ["after_school", "parent_child"])
    assert figures(world)[community.pk] == (NOUGHT, ONE)


def test_a_room_out_of_use_gives_nothing(world):
    community = world.node("甲市一区一街一社")
    room = fit_out(community, ELDERLY_CHILD)
    assert figures(world)[community.pk] == (ONE, ONE)
    services.room_update(actor="test", room=room, data={"closed_on": date(2026, 10, 1)})
    assert figures(world)[community.pk] == (NOUGHT, ONE)


def test_the_set_is_the_catalogues(world):
    community = world.node("甲市一区一街一社")
    fit_out(community, [code for code in ELDERLY_CHILD if code != "childcare"])
    assert figures(world)[community.pk] == (NOUGHT, ONE)
    childcare = '{ code = "childcare", name = "托育服务设施", requirement = "required", sets = ["1+6+X", "一老一小"]'
    content = default_pack_content()
    assert childcare in content
    rulepack_load(actor="test", city=world.node("甲市"), content=content.replace(
        childcare, childcare.replace('"1+6+X", "一老一小"', '"1+6+X"')).replace('version = "2026.4"', 'version = "2026.5"'))
    assert figures(world)[community.pk] == (ONE, ONE)


def test_a_catalogue_without_the_set_counts_nothing(world):
    fit_out(world.node("甲市一区一街一社"), ELDERLY_CHILD)
    rulepack_load(actor="test", city=world.node("甲市"),
                  content=default_pack_content().replace('"一老一小"', '"其他"').replace('version = "2026.4"', 'version = "2026.5"'))
    assert figures(world) == {}


def test_the_records_are_the_compliance_page(world):
    community = world.node("甲市一区一街一社")
    assert MEASURES[CODE].records(community, NOVEMBER) == reverse("registry:compliance", args=[community.code])


def test_the_default_pack_watches_it_with_hainings_dated_target_and_no_weight(world):
    found = supervision_selectors.indicators(division=world.node("甲市"))
    indicator = next(i for i in found if i.measure.code == CODE)
    assert indicator.key == "supervision.indicator.6" and indicator.source_short == "海宁市"
    assert indicator.target == 1 and indicator.due == date(2025, 12, 31) and indicator.weight is None
    assert "聚焦群众关切的“一老一小”设施建设" in indicator.citation
    assert sum(i.weight for i in found if i.weight is not None) == 100
