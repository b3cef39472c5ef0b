"""What supervision reads of the life circle: each community's people within 15 minutes' walk of a
party-mass or neighbourhood centre, from its latest analysis of coverage as it is, finished by the
month's end — the rows the scenario's page and the community's life-circle page show."""

from decimal import Decimal

import pytest
from django.utils import timezone

from core.measures import MEASURES, Month
from org.models import Division
from planning import selectors, services
from planning.measures import coverage_by_community
from planning.models import JobStatus, Scenario
from registry import services as registry_services

from .conftest import ACTOR, QUARTERS, quarter_boxes

pytestmark = pytest.mark.django_db


def centre_in(name: str, bbox) -> None:
    """A party-mass service centre in the middle of the community's quarter of the network."""
    west, south, east, north = quarter_boxes(bbox)[name]
    registry_services.site_create(actor=ACTOR, division=Division.objects.get(name=name), name=f"{name}党群服务中心",
                                  kind="party_mass_centre", floor_area=Decimal("800"), property_class="state_admin",
                                  property_source="street_owned", latitude=Decimal(f"{(south + north) / 2:.6f}"),
                                  longitude=Decimal(f"{(west + east) / 2:.6f}"))


def now_as_is(grid, name: str, **options) -> Scenario:
    scenario = services.scenario_create(actor=ACTOR, demand=grid.demand, name=name, run=True,
                                        **{"facility_kind": "neighbourhood_centre", **options})
    assert scenario.status == JobStatus.DONE, scenario.error
    return scenario


def rows_of(scenario: Scenario) -> dict:
    """The scenario's communities as its page's table has them: people covered now, people."""
    return {area.division_id: (Decimal(f"{area.covered:.1f}"), Decimal(f"{area.population:.1f}"))
            for area in selectors.scenario_areas(scenario=scenario, level="community")}


def this_month() -> Month:
    return Month.of(timezone.localdate())


def test_each_community_reads_its_latest_analysis_and_only_its_own_people(world, grid, django_assert_num_queries):
    city, quarter = world.node("甲市"), {name: world.node(name) for name in QUARTERS}
    before = now_as_is(grid, "现状一")
    assert coverage_by_community(city, this_month()) == {
        quarter["甲市一区一街一社"].pk: (0, 1000), quarter["甲市一区一街二社"].pk: (0, 2000),
        quarter["甲市一区二街一社"].pk: (0, 1000), quarter["甲市一区二街二社"].pk: (0, 2000)}  # no centre yet: nobody covered
    centre_in("甲市一区一街一社", grid.network.bbox)
    after = now_as_is(grid, "现状二")

    with django_assert_num_queries(1):  # one query for the whole city
        figures = coverage_by_community(city, this_month())

    assert figures == rows_of(after) != rows_of(before)
    covered, people = figures[quarter["甲市一区一街一社"].pk]
    assert people == 1000 and 0 < covered <= 1000
    assert figures[quarter["甲市一区一街二社"].pk][1] == 2000  # a neighbour's people are its own, not added to another's
    assert float(sum(n for n, _d in figures.values())) == pytest.approx(after.covered, abs=0.5)  # all of it in the city
    assert coverage_by_community(world.node("乙市"), this_month()) == {}  # another city's communities were never analysed


def test_a_communitys_figure_is_the_share_its_life_circle_page_shows(client, world, grid):
    community = world.node("甲市一区一街一社")
    now_as_is(grid, "现状一")
    centre_in(community.name, grid.network.bbox)
    now_as_is(grid, "现状二")

    covered, people = coverage_by_community(world.node("甲市"), this_month())[community.pk]

    shown = selectors.coverage_list(user=world.users["community_worker"], within=community).first()  # the page's first row: the latest
    assert shown.scenario.name == "现状二" and 0 < shown.share < 1
    assert (covered, people) == (Decimal(f"{shown.covered:.1f}"), Decimal(f"{shown.population:.1f}"))
    client.force_login(world.users["community_worker"])
    page = client.get(f"/planning/{community.code}/").content.decode()
    assert f"<td class=\"num\">{float(covered / people) * 100:.1f}%</td>" in page  # as the page writes a share


def test_sitings_other_kinds_other_thresholds_and_later_analyses_do_not_count(world, grid):
    city, community = world.node("甲市"), world.node("甲市一区一街一社")
    before = now_as_is(grid, "现状")
    centre_in(community.name, grid.network.bbox)
    siting = now_as_is(grid, "补点", objective="max_cover", k=1, candidate_source="network")
    station = now_as_is(grid, "服务站现状", facility_kind="service_station")  # the centre is a service station too
    further = now_as_is(grid, "二十五分钟", minutes=25)
    assert all(s.areas.get(division=community).covered > 0 for s in (siting, station, further))

    assert coverage_by_community(city, this_month()) == rows_of(before)  # still the latest analysis of the centres as they are
    assert coverage_by_community(city, this_month().previous()) == {}  # every analysis finished after last month ended


def test_the_records_are_the_analysis_giving_the_figure(world, grid):
    declared = MEASURES["planning.coverage_15min"]
    assert (declared.kind, declared.unit, declared.flow) == ("rate", "share", False)
    community, city = world.node("甲市一区一街一社"), world.node("甲市")
    assert declared.records(community, this_month()) == f"/planning/{community.code}/"  # not analysed yet: its planning page
    scenario = now_as_is(grid, "现状")
    assert declared.records(community, this_month()) == f"/planning/scenarios/{scenario.pk}/"
    assert declared.records(world.node("甲市一区一街"), this_month()) == f"/planning/scenarios/{scenario.pk}/"
    assert declared.records(city, this_month()) == f"/planning/{city.code}/"
