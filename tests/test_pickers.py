"""Searchable pickers: every form that names a place, an organisation, a person or a room lets a person
pick it by name; the searches find nothing outside the searcher's scope, and a value from outside it
posted anyway is refused on the form, in Chinese, with nothing written."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role, RoleAssignment
from registry import services as registry_services
from registry.models import ProvisionProject
from tests.world import make_user

pytestmark = pytest.mark.django_db
HERE, NEXT_DOOR = "甲市一区一街一社", "甲市一区二街一社"


def results(client, url: str) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.json()["results"]


def labels(client, url: str) -> str:
    return " ".join(f"{r['label']} {r['hint']}" for r in results(client, url))


def resident(world, username: str, name: str, community: str, phone=None):
    user = make_user(username, role=Role.RESIDENT, division=world.node(community), phone=phone)
    user.display_name = name
    user.save(update_fields=["display_name"])
    return user


def site_with_room(community, name="活动室"):
    site = registry_services.site_create(actor="test", division=community, name=f"{community.name}党群服务中心", kind="party_mass_centre",
                                         floor_area=Decimal("900"), property_class="state_admin", property_source="street_owned")
    return registry_services.room_create(actor="test", site=site, name=name, area=Decimal("60"), capacity=30)


class TestSearches:
    def test_divisions_are_found_by_name_with_their_path_and_only_in_scope(self, client, world):
        client.force_login(world.users["street_admin"])
        found = results(client, "/pick/divisions/?q=一社&level=community")
        assert [r["label"] for r in found] == ["甲市一区 › 甲市一区一街 › 甲市一区一街一社"]
        assert found[0]["value"] == world.node(HERE).code and found[0]["hint"] == "社区/村"
        assert "二街" not in labels(client, "/pick/divisions/?q=二街")
        assert results(client, f"/pick/divisions/?value={world.node(NEXT_DOOR).code}") == []
        assert client.get(f"/pick/divisions/?within={world.node('甲市一区二街').code}").status_code == 404
        assert [r["label"] for r in results(client, f"/pick/divisions/?value={world.node(HERE).code}")] == [
            "甲市一区 › 甲市一区一街 › 甲市一区一街一社"]

    def test_a_permission_narrows_the_divisions_to_where_the_user_holds_it(self, client, world):
        client.force_login(world.users["street_admin"])
        everywhere = {r["value"] for r in results(client, "/pick/divisions/")}
        granting = {r["value"] for r in results(client, "/pick/divisions/?perm=accounts.add_roleassignment")}
        assert granting <= everywhere and world.node(HERE).code in granting
        assert results(client, "/pick/divisions/?perm=no.such_permission") == []

    def test_organisations_are_found_by_name_of_the_right_kind_in_scope(self, client, world):
        client.force_login(world.users["street_admin"])
        assert "甲市一区一街一社服务中心" in labels(client, "/pick/organisations/?q=服务中心&kind=operator")
        assert "二街" not in labels(client, "/pick/organisations/?q=服务中心")
        assert labels(client, "/pick/organisations/?q=服务中心&kind=charity") == ""
        charities = labels(client, f"/pick/organisations/?kind=charity&serving={world.node(HERE).code}&fundraising=1")
        assert "甲市一区慈善会" in charities and "甲市二区慈善会" not in charities

    def test_people_are_found_by_name_or_phone_in_scope_and_never_beyond_it(self, client, world):
        resident(world, "wangxiaohong", "王小红", HERE, phone="13912340001")
        resident(world, "wangxiaolan", "王小兰", NEXT_DOOR, phone="13912340002")
        client.force_login(world.users["street_admin"])
        found = results(client, "/accounts/people/pick/?q=王小")
        assert [r["label"] for r in found] == ["王小红"]
        assert "139****0001" in found[0]["hint"] and "居民（甲市一区一街一社）" in found[0]["hint"]
        assert [r["label"] for r in results(client, "/accounts/people/pick/?q=1234")] == ["王小红"]
        outsider = RoleAssignment.objects.get(user__username="wangxiaolan").user_id
        assert results(client, f"/accounts/people/pick/?value={outsider}") == []
        client.force_login(world.users["community_worker"])  # may not look people up at all
        assert client.get("/accounts/people/pick/?q=王").status_code == 404

    def test_rooms_are_found_by_room_or_site_name_below_a_division(self, client, world):
        room = site_with_room(world.node(HERE), name="舞蹈室")
        site_with_room(world.node(NEXT_DOOR), name="舞蹈排练厅")
        client.force_login(world.users["community_worker"])
        found = results(client, f"/registry/pick/rooms/?q=舞蹈&within={world.node(HERE).code}")
        assert [(r["value"], r["label"]) for r in found] == [(str(room.pk), "甲市一区一街一社党群服务中心 · 舞蹈室")]
        assert found[0]["hint"] == "甲市一区一街一社 · 1层 · 60㎡ · 可容纳30人"
        assert "排练厅" not in labels(client, "/registry/pick/rooms/?q=舞蹈")
        assert client.get(f"/registry/pick/rooms/?within={world.node(NEXT_DOOR).code}").status_code == 404

    def test_the_operator_searches_are_for_the_communitys_staff_and_residents_only(self, client, world):
        client.force_login(world.users["community_worker"])
        assert "甲市一区一街一社服务中心" in labels(client, f"/neighbourhood/pick/operators/?for={world.node(HERE).code}")
        assert client.get(f"/neighbourhood/pick/operators/?for={world.node(NEXT_DOOR).code}").status_code == 404
        assert client.get(f"/operations/pick/operators/?for={world.node(NEXT_DOOR).code}").status_code == 404
        client.force_login(world.users["resident"])
        assert client.get(f"/neighbourhood/pick/operators/?for={world.node(HERE).code}").status_code == 200
        client.force_login(world.users["supervisor"])  # sees the community, serves nobody there
        assert client.get(f"/neighbourhood/pick/operators/?for={world.node(HERE).code}").status_code == 403

    def test_a_search_costs_the_same_queries_for_one_match_or_twenty(self, client, world):
        client.force_login(world.users["city_supervisor"])

        def cost(url):
            with CaptureQueriesContext(connection) as captured:
                client.get(url)
            return len(captured)

        assert cost("/pick/divisions/?q=甲市一区一街一社一格") == cost("/pick/divisions/?q=甲")
        assert cost("/accounts/people/pick/?q=resident_b") == cost("/accounts/people/pick/?q=_")


class TestForms:
    def test_the_people_page_offers_pickers_instead_of_codes(self, client, world):
        client.force_login(world.users["street_admin"])
        page = client.get("/accounts/people/").content.decode()
        assert page.count('role="combobox"') == 6  # the filter's place, the grant's person, place and organisation, the account's two
        assert 'name="grant-person"' in page and 'name="grant-division_code"' in page and 'data-source="/pick/divisions/?perm=' in page
        assert "代码" not in page and "编号" not in page

    def test_a_role_is_granted_to_a_person_and_a_place_picked_by_name(self, client, world):
        newcomer = make_user("xinren", role=Role.RESIDENT, division=world.node(HERE))
        client.force_login(world.users["street_admin"])
        response = client.post("/accounts/people/", {"grant-person": newcomer.pk, "grant-role": Role.COMMUNITY_WORKER,
                                                     "grant-division_code": world.node(HERE).code})
        assert response.status_code == 302
        assert RoleAssignment.objects.filter(user=newcomer, role=Role.COMMUNITY_WORKER, division=world.node(HERE)).exists()

    @pytest.mark.parametrize("field, value, message", [
        ("grant-division_code", "next_door", "请从列表中选择您辖区内的行政区划。"),
        ("grant-person", "outsider", "请从列表中选择您辖区内的人员。"),
        ("grant-person", "abc", "请从列表中选择：输入名称中的几个字，再点选一项。"),
        ("grant-organisation_id", "next_door_operator", "请从列表中选择您辖区内的机构。"),
    ])
    def test_a_value_from_outside_the_scope_is_refused_in_chinese_and_nothing_is_granted(self, client, world, field, value, message):
        person = make_user("xinren", role=Role.RESIDENT, division=world.node(HERE))
        outsider = make_user("wairen", role=Role.RESIDENT, division=world.node(NEXT_DOOR))
        values = {"next_door": world.node(NEXT_DOOR).code, "outsider": outsider.pk,
                  "next_door_operator": world.organisations[f"{NEXT_DOOR}服务中心"].pk}
        data = {"grant-person": person.pk, "grant-role": Role.OPERATOR_STAFF if "organisation" in field else Role.COMMUNITY_WORKER,
                "grant-division_code": "" if "organisation" in field else world.node(HERE).code}
        data[field] = values.get(value, value)
        before = RoleAssignment.objects.count()
        client.force_login(world.users["street_admin"])
        response = client.post("/accounts/people/", data)
        assert response.status_code == 200 and message in response.content.decode()
        assert RoleAssignment.objects.count() == before

    def test_an_account_at_a_neighbours_division_is_refused_in_chinese(self, client, world):
        client.force_login(world.users["street_admin"])
        response = client.post("/accounts/people/", {
            "account-username": "xiaoli", "account-display_name": "小李", "account-password": "a-long-password",
            "account-role": Role.COMMUNITY_WORKER, "account-division_code": world.node(NEXT_DOOR).code})
        assert response.status_code == 200 and "请从列表中选择您辖区内的行政区划。" in response.content.decode()
        assert not RoleAssignment.objects.filter(user__username="xiaoli").exists()

    def test_a_new_residential_project_names_its_community_by_picking_it(self, client, world):
        client.force_login(world.users["street_admin"])
        data = {"community_code": world.node(NEXT_DOOR).code, "name": "江景苑", "developer": "某置业", "land_parcel": "2026-01",
                "households": 600, "method": "provide"}
        response = client.post("/registry/projects/", data)
        assert response.status_code == 200 and "请从列表中选择您辖区内的行政区划。" in response.content.decode()
        assert not ProvisionProject.objects.exists()
        response = client.post("/registry/projects/", {**data, "community_code": world.node(HERE).code})
        assert response.status_code == 302 and ProvisionProject.objects.get().community == world.node(HERE)

    def test_a_committee_member_is_picked_among_the_communitys_people(self, client, world):
        from funds import services as fund_services
        from funds.models import CommitteeMember

        fund = fund_services.fund_create(actor="test", division=world.node(HERE), host=world.organisations["甲市一区慈善会"], led_by="党委")
        neighbour = make_user("linju", role=Role.RESIDENT, division=world.node(NEXT_DOOR))
        client.force_login(world.users["community_worker"])
        assert str(world.users["resident"].pk) in {r["value"] for r in results(client, f"/funds/pick/members/?fund={world.node(HERE).code}")}
        assert results(client, f"/funds/pick/members/?fund={world.node(HERE).code}&value={neighbour.pk}") == []
        url = f"/funds/{world.node(HERE).code}/"
        response = client.post(url, {"action": "member", "member-person": neighbour.pk, "member-side": "residents"})
        assert response.status_code == 200 and "请从列表中选择本社区或托管慈善组织的人员。" in response.content.decode()
        assert not CommitteeMember.objects.filter(user=neighbour).exists()
        response = client.post(url, {"action": "member", "member-person": world.users["resident"].pk, "member-side": "residents"})
        assert response.status_code == 302 and CommitteeMember.objects.filter(user=world.users["resident"], fund=fund).exists()
        assert client.get(f"/funds/pick/members/?fund={world.node(NEXT_DOOR).code}").status_code == 404

    def test_the_places_to_found_a_fund_are_those_without_one_in_scope(self, client, world):
        from funds import services as fund_services

        fund_services.fund_create(actor="test", division=world.node(HERE), host=world.organisations["甲市一区慈善会"], led_by="党委")
        client.force_login(world.users["supervisor"])  # of 甲市一区
        found = {r["value"] for r in results(client, "/funds/pick/places/?q=社")}
        assert world.node("甲市一区一街二社").code in found and world.node(HERE).code not in found
        assert not any(code.startswith(world.node("甲市二区").code[:4] + "02") for code in found)

    def test_a_form_sent_back_keeps_the_chosen_names(self, client, world):
        client.force_login(world.users["street_admin"])
        response = client.post("/registry/projects/", {"community_code": world.node(HERE).code, "name": ""})
        page = response.content.decode()
        assert f'name="community_code" value="{world.node(HERE).code}"' in page

    def test_an_organisation_keeps_the_places_it_serves_beyond_the_editors_area(self, client, world):
        from org import services as org_services

        operator = org_services.organisation_create(
            actor="test", name="跨街道服务社", kind="operator", operator_kind="social_work", home_division=world.node("甲市一区"),
            served_divisions=[world.node(HERE), world.node(NEXT_DOOR)])
        client.force_login(world.users["street_admin"])
        page = client.get(f"/organisations/{operator.pk}/edit/").content.decode()
        assert "甲市一区二街一社</span>" in page  # named, though the editor may not pick it
        data = {"name": operator.name, "operator_kind": "social_work",
                "served_division_codes": [world.node(HERE).code, world.node(NEXT_DOOR).code, world.node("甲市一区一街二社").code]}
        assert client.post(f"/organisations/{operator.pk}/edit/", data).status_code == 302
        assert set(operator.served_divisions.values_list("name", flat=True)) == {HERE, NEXT_DOOR, "甲市一区一街二社"}
        data["served_division_codes"].append(world.node("甲市一区二街二社").code)
        response = client.post(f"/organisations/{operator.pk}/edit/", data)
        assert response.status_code == 200 and world.node("甲市一区二街二社").code in response.content.decode()
        assert operator.served_divisions.count() == 3
