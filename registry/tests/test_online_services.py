"""Star ratings keep their dated history (a timeline on the site page), and a centre's smart-neighbourhood online
services are switched on by the street only at the city's gate (four stars in the default pack [Quanzhou]),
the supervisor seeing which are on and which may be."""

from datetime import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from core.errors import Conflict, ValidationFailed
from registry import selectors, services
from registry.models import OnlineServices, StarRating
from rulepack.selectors import param
from rulepack.services import default_pack_content, rulepack_load

from .conftest import REQUIRED, make_site

pytestmark = pytest.mark.django_db


def moment(day: int) -> datetime:
    return datetime(2026, 1, day, 10, tzinfo=timezone.get_current_timezone())


def lower_the_bar(world, stars_at="[10, 20, 30, 40, 50]"):
    """The city rates its centres on lower scores (a pilot), so a plain test centre reaches four stars."""
    content = default_pack_content().replace("stars_at = [40, 55, 70, 80, 90]", f"stars_at = {stars_at}")
    rulepack_load(actor=world.users["city_supervisor"], city=world.node("甲市"), content=content, note="试点降低分值")


def test_the_default_pack_gates_online_services_at_four_stars_citing_quanzhou(world):
    from rulepack.selectors import rule

    found = rule(division=world.node("甲市一区一街一社"), key="registry.online_services_min_stars")
    assert found.params["value"] == 4 and found.source.tag == "Quanzhou" and "四星级" in found.citation


class TestHistory:
    def test_a_changed_result_is_a_new_dated_row_and_the_same_result_marks_the_rating_checked(self, world, compliant_community):
        centre = compliant_community.sites.get(kind="party_mass_centre")
        first = services.star_rating_recompute(site=centre, now=moment(5))
        same = services.star_rating_recompute(site=centre, now=moment(20))
        assert same.pk == first.pk and StarRating.objects.filter(site=centre).count() == 1
        first.refresh_from_db()
        assert (first.rated_at, first.checked_at) == (moment(5), moment(20))
        services.room_create(actor="t", site=centre, name="托育室", area=Decimal("100"), functions=REQUIRED[2:7])
        changed = services.star_rating_recompute(site=centre, now=moment(28))
        first.refresh_from_db()
        assert changed.pk != first.pk and changed.rated_at == moment(28) and not first.is_current
        timeline = selectors.rating_history(user=world.users["street_admin"], site=centre)
        assert [r.pk for r in timeline] == [changed.pk, first.pk] and timeline[0].previous.pk == first.pk
        assert {c["title"] for c in timeline[0].changed} == {"必设功能配置", "“1+6+X”功能覆盖"} and timeline[1].previous is None

    def test_the_site_page_shows_the_timeline(self, client, world, compliant_community):
        centre = compliant_community.sites.get(kind="party_mass_centre")
        services.star_rating_recompute(site=centre, now=moment(5))
        services.room_create(actor="t", site=centre, name="托育室", area=Decimal("100"), functions=REQUIRED[2:7])
        services.star_rating_recompute(site=centre, now=moment(28))
        client.force_login(world.users["supervisor"])
        page = client.get(f"/registry/sites/{centre.pk}/").content.decode()
        assert "评定记录" in page and "2026-01-28" in page and "2026-01-05" in page and "首次评定" in page
        assert "必设功能配置" in page and "居民评价不足" in page


class TestTheGate:
    def test_below_the_gate_the_street_is_refused_with_the_reason_and_nothing_is_written(self, world, compliant_community):
        centre = compliant_community.sites.get(kind="party_mass_centre")
        rating = services.star_rating_recompute(site=centre)
        assert rating.stars < 4 == param(division=centre.division, key="registry.online_services_min_stars")
        with pytest.raises(Conflict) as refused:
            services.online_services_switch(actor=world.users["street_admin"], site=centre, on=True)
        assert refused.value.message == (f"{centre.name}目前为{rating.stars}星级，城市规定4星级及以上的中心方可开通在线服务。")
        assert refused.value.code == "below_gate"
        assert not OnlineServices.objects.exists() and not AuditEvent.objects.filter(action__startswith="registry.online").exists()

    def test_at_the_gate_the_street_switches_on_and_off_saying_why(self, world, compliant_community):
        centre = compliant_community.sites.get(kind="party_mass_centre")
        lower_the_bar(world)
        assert services.star_rating_recompute(site=centre).stars >= 4
        assert selectors.online_state(centre) == "eligible"
        street = world.users["street_admin"]
        services.online_services_switch(actor=street, site=centre, on=True)
        assert selectors.online_state(centre) == "on" and selectors.online_sites([centre.pk]) == {centre.pk}
        assert AuditEvent.objects.get(action="registry.online_services.on").changes["is_on"] == [None, True]
        with pytest.raises(Conflict):
            services.online_services_switch(actor=street, site=centre, on=True)
        with pytest.raises(ValidationFailed) as refused:
            services.online_services_switch(actor=street, site=centre, on=False)
        assert str(refused.value.fields["note"][0]) == "请说明关闭在线服务的原因。"
        services.online_services_switch(actor=street, site=centre, on=False, note="中心装修，暂停三个月")
        assert selectors.online_state(centre) == "eligible" and selectors.online_sites([centre.pk]) == set()

    def test_a_centre_rated_below_the_gate_again_is_suspended_for_residents(self, world, compliant_community):
        centre = compliant_community.sites.get(kind="party_mass_centre")
        lower_the_bar(world)
        services.star_rating_recompute(site=centre)
        services.online_services_switch(actor=world.users["street_admin"], site=centre, on=True)
        rulepack_load(actor=world.users["city_supervisor"], city=world.node("甲市"), content=default_pack_content(), note="恢复")
        services.star_rating_recompute(site=centre)
        assert selectors.online_state(centre) == "suspended" and selectors.online_sites([centre.pk]) == set()

    def test_sites_that_are_not_rated_centres_are_refused(self, world):
        canteen = make_site(world.node("甲市一区一街一社"), kind="elderly_canteen")
        with pytest.raises(ValidationFailed):
            services.online_services_switch(actor=world.users["street_admin"], site=canteen, on=True)


class TestPages:
    def test_the_supervisor_sees_which_centres_are_on_and_which_may_be(self, client, world):
        lower_the_bar(world, "[5, 10, 15, 20, 25]")  # centres of 400, 700 and 1,000 m² rated three, four and five stars
        community = world.node("甲市一区一街一社")
        centres = [make_site(community, name=f"第{n}党群服务中心", area=str(400 + 300 * n), ground="400") for n in range(3)]
        for centre in centres:
            services.star_rating_recompute(site=centre)
        eligible = [c for c in centres if StarRating.objects.get(site=c, is_current=True).stars >= 4]
        assert len(eligible) >= 2
        services.online_services_switch(actor=world.users["street_admin"], site=eligible[0], on=True)
        client.force_login(world.users["supervisor"])
        page = client.get("/registry/ratings/").content.decode()
        assert "已开通在线服务 <span class=\"badge text-bg-light\">1</span>" in page
        assert f"可开通 <span class=\"badge text-bg-light\">{len(eligible) - 1}</span>" in page
        assert "开通</button>" not in page  # the supervisor sees; the street switches
        on_only = client.get("/registry/ratings/?state=on").content.decode()
        assert eligible[0].name in on_only and eligible[1].name not in on_only
        client.force_login(world.users["street_admin"])
        assert "开通</button>" in client.get("/registry/ratings/?state=eligible").content.decode()

    def test_the_list_costs_the_same_queries_for_more_centres(self, client, world):
        community = world.node("甲市一区一街一社")
        client.force_login(world.users["street_admin"])

        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert client.get("/registry/ratings/").status_code == 200
            return len(captured)

        services.star_rating_recompute(site=make_site(community, name="一号中心"))
        one = queries()
        for n in range(4):
            services.star_rating_recompute(site=make_site(community, name=f"{n}号邻里中心", kind="neighbourhood_centre"))
        assert queries() == one

    def test_only_the_street_switches_and_the_page_says_why_not(self, client, world, compliant_community):
        centre = compliant_community.sites.get(kind="party_mass_centre")
        services.star_rating_recompute(site=centre)
        url = f"/registry/sites/{centre.pk}/online/"
        client.force_login(world.users["supervisor"])
        assert client.post(url, {"on": "1"}).status_code == 403
        client.force_login(world.users["community_worker"])
        assert client.post(url, {"on": "1"}).status_code == 403
        client.force_login(world.users["street_admin"])
        page = client.post(url, {"on": "1"}, follow=True).content.decode()
        assert "城市规定4星级及以上的中心方可开通在线服务" in page and not OnlineServices.objects.exists()
        lower_the_bar(world)
        services.star_rating_recompute(site=centre)
        page = client.post(url, {"on": "1"}, follow=True).content.decode()
        assert "在线服务已开通" in page and OnlineServices.objects.get().is_on

    def test_through_the_api(self, client, world, compliant_community):
        import json

        centre = compliant_community.sites.get(kind="party_mass_centre")
        lower_the_bar(world)
        services.star_rating_recompute(site=centre)
        client.force_login(world.users["street_admin"])
        response = client.post(f"/api/v1/registry/sites/{centre.pk}/online-services", data=json.dumps({"on": True}),
                               content_type="application/json")
        assert response.status_code == 200 and response.json()["state"] == "on"
        listed = client.get("/api/v1/registry/online-services?state=on").json()
        assert [item["site_id"] for item in listed["items"]] == [centre.pk] and listed["items"][0]["state"] == "on"
        client.force_login(world.users["supervisor"])
        assert client.post(f"/api/v1/registry/sites/{centre.pk}/online-services", data=json.dumps({"on": False, "note": "x"}),
                           content_type="application/json").status_code == 403
