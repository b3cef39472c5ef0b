from decimal import Decimal

import pytest
from django.utils import translation

from org.models import Division
from registry import services
from registry.compliance import compliance_report
from registry.selectors import compliance_for
from rulepack.services import default_pack_content, rulepack_load

from .conftest import make_site


def report_for(community):
    return compliance_report(division=community, communities=Division.objects.filter(pk=community.pk), streets=[]).communities[0]


def result(report, key):
    return next(r for r in report.results if r.key == key)


@pytest.mark.django_db
class TestCommunityCompliance:
    def test_a_complete_register_meets_every_standard(self, compliant_community):
        report = report_for(compliant_community)
        assert report.compliant, [(r.key, r.gap_text) for r in report.failed]
        assert result(report, "registry.community_service_area").actual == Decimal("1600.00")

    def test_an_empty_community_fails_with_the_gaps(self, world):
        with translation.override("zh-hans"):
            report = report_for(world.node("甲市一区一街二社"))
        area = result(report, "registry.community_service_area")
        assert not area.passed and area.gap == Decimal("1500") and area.gap_text == "差1,500平方米"
        functions = result(report, "registry.required_functions")
        assert functions.gap == 10 and "老年食堂" in functions.gap_text

    def test_the_gap_is_in_square_metres_short(self, world):
        community = world.node("甲市一区一街二社")
        make_site(community, area="888", ground="300")
        with translation.override("en"):
            report = report_for(community)
        area = result(report, "registry.community_service_area")
        assert (area.actual, area.required, area.gap, area.gap_text) == (Decimal("888.00"), Decimal("1500.00"), Decimal("612.00"), "short by 612 m²")
        assert result(report, "registry.centre_area").passed
        ground = result(report, "registry.ground_floor_share")
        assert not ground.passed and ground.actual == Decimal("33.8") and ground.required == Decimal("50.0")

    def test_a_centre_without_a_street_entrance_is_named(self, world):
        community = world.node("甲市一区一街二社")
        make_site(community, name="二社中心", entrance=False)
        with translation.override("en"):
            entrance = result(report_for(community), "registry.independent_entrance")
        assert not entrance.passed and "二社中心" in entrance.gap_text

    def test_too_much_office_space_fails(self, compliant_community):
        centre = compliant_community.sites.get(kind="party_mass_centre")
        services.room_create(actor="t", site=centre, name="档案室", area=Decimal("300"), use="office")
        office = result(report_for(compliant_community), "registry.office_share")
        assert not office.passed and office.actual == Decimal("44.4")

    def test_closed_sites_do_not_count(self, compliant_community):
        care = compliant_community.sites.get(kind="elderly_care")
        services.site_update(actor="t", site=care, data={"closed_on": "2026-01-01"})
        report = report_for(compliant_community)
        assert not result(report, "registry.community_service_area").passed
        assert not result(report, "registry.required_functions").passed

    def test_the_city_raises_a_threshold_and_the_verdict_follows(self, compliant_community, world):
        content = default_pack_content().replace("min_m2 = 1500", "min_m2 = 2000").replace('version = "2026.4"', 'version = "2026.5"')
        rulepack_load(actor="t", city=world.node("甲市"), content=content)
        area = result(report_for(compliant_community), "registry.community_service_area")
        assert not area.passed and area.required == Decimal("2000.00") and area.gap == Decimal("400.00")


@pytest.mark.django_db
class TestStreetAndDistrictReports:
    def test_a_street_needs_a_neighbourhood_centre(self, world):
        street = world.node("甲市一区一街")
        report = compliance_for(user=world.users["street_admin"], division=street)
        centre_rule = next(r for r in report.streets[0].results if r.key == "registry.neighbourhood_centre_per_street")
        assert not centre_rule.passed and centre_rule.gap == 1
        make_site(street, name="一街邻里中心", kind="neighbourhood_centre", area="3000", ground="2000")
        report = compliance_for(user=world.users["street_admin"], division=street)
        assert next(r for r in report.streets[0].results if r.key == "registry.neighbourhood_centre_per_street").passed

    def test_towns_are_not_held_to_the_street_rule(self, world):
        from org.services import division_create

        town = division_create(actor="t", parent=world.node("甲市一区"), code="350101101000", name="一镇")
        report = compliance_for(user=world.users["supervisor"], division=town)
        assert report.streets[0].results == []

    def test_the_street_ranks_its_non_compliant_communities_worst_first(self, compliant_community, world):
        make_site(world.node("甲市一区一街二社"), area="1200", ground="800")
        report = compliance_for(user=world.users["street_admin"], division=world.node("甲市一区一街"))
        assert [r.division.name for r in report.non_compliant] == ["甲市一区一街二社"]
        assert len(report.communities) == 2

    def test_neighbours_are_not_in_the_report(self, world):
        report = compliance_for(user=world.users["street_admin"], division=world.node("甲市一区"))
        assert {r.division.name for r in report.communities} == {"甲市一区一街一社", "甲市一区一街二社"}

    def test_the_report_costs_the_same_queries_for_many_communities(self, world, django_assert_max_num_queries):
        for name in ("甲市一区一街一社", "甲市一区一街二社", "甲市一区二街一社", "甲市二区一街一社"):
            site = make_site(world.node(name))
            services.room_create(actor="t", site=site, name="大厅", area=Decimal("100"), functions=["party_hall"])
        city = world.node("甲市")
        communities = Division.objects.filter(level="community", path__under=city.path).order_by("path")
        compliance_report(division=city, communities=communities, streets=[])  # warm the rule pack
        with django_assert_max_num_queries(12):
            report = compliance_report(division=city, communities=communities, streets=[])
        assert len(report.communities) == 8


def verdicts(report):
    return [(r.division.name, [(res.key, res.passed, res.actual, res.gap_text) for res in r.results])
            for r in report.communities + report.streets]


@pytest.mark.django_db
class TestTheReportIsKept:
    """The pages read the report from the cache until the register or the rules change."""

    def test_a_second_view_reads_the_same_report_in_a_few_queries(self, compliant_community, world, django_assert_max_num_queries):
        for name in ("甲市一区一街二社", "甲市一区二街一社", "甲市二区一街一社"):
            make_site(world.node(name), area="700", ground="300")
        city, supervisor = world.node("甲市"), world.users["city_supervisor"]
        first = compliance_for(user=supervisor, division=city)
        with django_assert_max_num_queries(8):
            again = compliance_for(user=supervisor, division=city)
        assert verdicts(again) == verdicts(first)
        assert [r.key for r in again.rules] == [r.key for r in first.rules]
        assert again.rule_totals() == first.rule_totals()

    def test_each_reader_gets_the_divisions_they_may_see(self, compliant_community, world):
        compliance_for(user=world.users["city_supervisor"], division=world.node("甲市"))
        report = compliance_for(user=world.users["street_admin"], division=world.node("甲市"))
        assert {r.division.name for r in report.communities} == {"甲市一区一街一社", "甲市一区一街二社"}

    def test_a_smaller_room_is_seen_at_once(self, compliant_community, world):
        street, admin = world.node("甲市一区一街"), world.users["street_admin"]
        assert compliance_for(user=admin, division=street).communities[0].compliant
        centre = compliant_community.sites.get(kind="party_mass_centre")
        services.site_update(actor="t", site=centre, data={"floor_area": Decimal("650")})
        report = compliance_for(user=admin, division=street)
        assert not result(report.communities[0], "registry.community_service_area").passed

    def test_a_function_taken_from_a_room_is_seen_at_once(self, compliant_community, world):
        street, admin = world.node("甲市一区一街"), world.users["street_admin"]
        assert compliance_for(user=admin, division=street).communities[0].compliant
        room = compliant_community.sites.get(kind="elderly_care").rooms.get()
        services.room_update(actor="t", room=room, data={}, functions=["elderly_care"])
        report = compliance_for(user=admin, division=street)
        assert not result(report.communities[0], "registry.required_functions").passed

    def test_a_new_version_of_the_rules_is_seen_at_once(self, compliant_community, world):
        street, admin = world.node("甲市一区一街"), world.users["street_admin"]
        assert compliance_for(user=admin, division=street).communities[0].compliant
        content = default_pack_content().replace("min_m2 = 1500", "min_m2 = 2000").replace('version = "2026.4"', 'version = "2026.5"')
        rulepack_load(actor="t", city=world.node("甲市"), content=content)
        area = result(compliance_for(user=admin, division=street).communities[0], "registry.community_service_area")
        assert not area.passed and area.required == Decimal("2000.00")

    def test_a_renamed_community_is_seen_at_once(self, compliant_community, world):
        from org.services import division_update

        street, admin = world.node("甲市一区一街"), world.users["street_admin"]
        compliance_for(user=admin, division=street)
        division_update(actor="t", division=compliant_community, data={"name": "一街新社区"})
        assert "一街新社区" in {r.division.name for r in compliance_for(user=admin, division=street).communities}

    def test_the_wording_follows_the_language(self, world):
        street, admin = world.node("甲市一区一街"), world.users["street_admin"]
        with translation.override("en"):
            english = result(compliance_for(user=admin, division=street).communities[0], "registry.community_service_area")
        with translation.override("zh-hans"):
            chinese = result(compliance_for(user=admin, division=street).communities[0], "registry.community_service_area")
        assert english.gap_text == "short by 1,500 m²" and chinese.gap_text == "差1,500平方米"


@pytest.mark.django_db
def test_the_compliance_api_names_every_rule_with_figures(client, compliant_community, world):
    client.force_login(world.users["street_admin"])
    body = client.get(f"/api/v1/registry/compliance/{world.node('甲市一区一街').code}").json()
    assert body["non_compliant"] == [world.node("甲市一区一街二社").code]
    first = next(c for c in body["communities"] if c["code"] == compliant_community.code)
    assert first["compliant"] and len(first["results"]) == 6
    assert {r["key"] for r in body["rules"]} >= {"registry.community_service_area", "registry.neighbourhood_centre_per_street"}
