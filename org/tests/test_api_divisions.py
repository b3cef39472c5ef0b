import json

import pytest

from audit.models import AuditEvent
from org import services
from org.models import Division


def patch(client, url, data, **extra):
    return client.patch(url, data=json.dumps(data), content_type="application/json", **extra)


def post(client, url, data, **extra):
    return client.post(url, data=json.dumps(data), content_type="application/json", **extra)


@pytest.mark.django_db
class TestListDivisions:
    def test_a_street_administrator_lists_their_street_and_below(self, client, world):
        client.force_login(world.users["street_admin"])
        body = client.get("/api/v1/divisions?page_size=100").json()
        names = {item["name"] for item in body["items"]}
        assert names == {"甲市一区一街", "甲市一区一街一社", "甲市一区一街二社", "甲市一区一街一社一格", "甲市一区一街二社一格"}
        assert body["count"] == 5 and body["page"] == 1 and body["pages"] == 1

    def test_pages_split_the_list(self, client, world):
        client.force_login(world.users["city_supervisor"])
        first = client.get("/api/v1/divisions?page_size=4").json()
        second = client.get("/api/v1/divisions?page_size=4&page=2").json()
        assert first["count"] == second["count"] == 23
        assert first["pages"] == 6
        assert not {i["code"] for i in first["items"]} & {i["code"] for i in second["items"]}

    def test_filters_by_level_type_and_text(self, client, world):
        client.force_login(world.users["city_supervisor"])
        communities = client.get("/api/v1/divisions?level=community&community_type=new_estate").json()
        assert communities["count"] == 4 and all(i["community_type"] == "new_estate" for i in communities["items"])
        assert client.get("/api/v1/divisions?q=一区二街").json()["count"] == 5

    def test_the_query_count_does_not_grow_with_the_list(self, client, world, django_assert_max_num_queries):
        client.force_login(world.users["city_supervisor"])
        with django_assert_max_num_queries(8):
            small = client.get("/api/v1/divisions?page_size=2")
        with django_assert_max_num_queries(8):
            large = client.get("/api/v1/divisions?page_size=100")
        assert len(small.json()["items"]) == 2 and len(large.json()["items"]) == 23


@pytest.mark.django_db
class TestDivisionDetail:
    def test_shows_figures_of_the_subtree(self, client, world):
        client.force_login(world.users["supervisor"])
        body = client.get(f"/api/v1/divisions/{world.node('甲市一区').code}").json()
        assert body["figures"]["streets"] == 2
        assert body["figures"]["communities"] == 4
        assert body["figures"]["population"] == 2 * (1000 + 2000)
        assert body["figures"]["community_types"] == {"old_estate": 2, "new_estate": 2}

    def test_children_carry_the_totals_of_their_subtrees(self, client, world, django_assert_max_num_queries):
        client.force_login(world.users["supervisor"])
        with django_assert_max_num_queries(8):
            body = client.get(f"/api/v1/divisions/{world.node('甲市一区').code}/children").json()
        assert [(c["name"], c["community_count"], c["people"]) for c in body["items"]] == [
            ("甲市一区一街", 2, 3000), ("甲市一区二街", 2, 3000)]

    def test_the_map_is_geojson_of_the_children(self, client, world):
        client.force_login(world.users["street_admin"])
        body = client.get(f"/api/v1/divisions/{world.node('甲市一区一街').code}/map").json()
        assert body["type"] == "FeatureCollection"
        children = [f for f in body["features"] if f["properties"]["role"] == "child"]
        assert {f["properties"]["name"] for f in children} == {"甲市一区一街一社", "甲市一区一街二社"}
        assert children[0]["geometry"]["type"] == "Point"

    def test_an_unknown_code_is_a_404_in_the_one_error_shape(self, client, world):
        client.force_login(world.users["supervisor"])
        response = client.get("/api/v1/divisions/999999999999")
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "message": "未找到。", "fields": {}}

    def test_the_message_follows_the_request_language(self, client, world):
        client.force_login(world.users["supervisor"])
        response = client.get("/api/v1/divisions/999999999999", HTTP_ACCEPT_LANGUAGE="en")
        assert response.json()["message"] == "Not found."


@pytest.mark.django_db
class TestChangeDivisions:
    def test_a_street_administrator_updates_a_community(self, client, world):
        client.force_login(world.users["street_admin"])
        community = world.node("甲市一区一街一社")
        response = patch(client, f"/api/v1/divisions/{community.code}", {"population": 5555, "community_type": "historic"})
        assert response.status_code == 200, response.content
        community.refresh_from_db()
        assert (community.population, community.community_type) == (5555, "historic")
        assert AuditEvent.objects.filter(action="org.division.updated", actor=world.users["street_admin"]).exists()

    def test_a_community_worker_may_read_but_not_change(self, client, world):
        client.force_login(world.users["community_worker"])
        community = world.node("甲市一区一街一社")
        response = patch(client, f"/api/v1/divisions/{community.code}", {"population": 1})
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
        community.refresh_from_db()
        assert community.population == 1000

    def test_bad_values_are_refused_with_field_messages(self, client, world):
        client.force_login(world.users["street_admin"])
        community = world.node("甲市一区一街一社")
        response = patch(client, f"/api/v1/divisions/{community.code}", {"population": -5, "latitude": 123})
        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "validation_failed"
        assert set(body["fields"]) == {"population", "latitude"}
        assert "0" in body["fields"]["population"][0]

    def test_malformed_json_is_a_400_and_changes_nothing(self, client, world):
        client.force_login(world.users["street_admin"])
        community = world.node("甲市一区一街一社")
        response = client.patch(f"/api/v1/divisions/{community.code}", data="{population: 5", content_type="application/json")
        assert response.status_code == 400
        assert response.json()["code"] == "malformed_body"
        community.refresh_from_db()
        assert community.population == 1000

    def test_a_supervisor_adds_a_street(self, client, world):
        client.force_login(world.users["supervisor"])
        response = post(client, "/api/v1/divisions", {"parent_code": world.node("甲市一区").code, "code": "350101003000", "name": "新街道"})
        assert response.status_code == 201, response.content
        assert response.json()["level"] == "street"
        assert Division.objects.get(code="350101003000").parent == world.node("甲市一区")

    def test_a_street_administrator_cannot_add_divisions(self, client, world):
        client.force_login(world.users["street_admin"])
        response = post(client, "/api/v1/divisions", {"parent_code": world.node("甲市一区一街").code, "code": "350101001005", "name": "x"})
        assert response.status_code == 403
        assert not Division.objects.filter(code="350101001005").exists()

    def test_only_a_system_administrator_adds_a_city(self, client, world, admin_user):
        client.force_login(world.users["city_supervisor"])
        assert post(client, "/api/v1/divisions", {"code": "350300000000", "name": "丙市"}).status_code == 403
        client.force_login(admin_user)
        assert post(client, "/api/v1/divisions", {"code": "350300000000", "name": "丙市"}).status_code == 201


@pytest.mark.django_db
def test_community_picker_is_public_and_shows_only_names_and_codes(client, world):
    services.division_create(actor="t", parent=world.node("甲市一区一街"), code="350101001077", name="幸福里社区")
    body = client.get("/api/v1/public/communities?q=幸福").json()
    assert body["items"] == [{"code": "350101001077", "name": "幸福里社区", "street": "甲市一区一街", "district": "甲市一区"}]
