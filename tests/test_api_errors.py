"""Every client mistake gets the one error shape, the right 4xx, and changes nothing."""

import json

import pytest


@pytest.mark.django_db
class TestErrorShape:
    def test_an_unknown_api_route_is_a_json_404(self, client, world):
        client.force_login(world.users["supervisor"])
        response = client.get("/api/v1/no-such-thing")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"

    def test_anonymous_calls_are_a_401_with_a_chinese_message(self, client, world):
        response = client.get("/api/v1/divisions")
        assert response.status_code == 401
        body = response.json()
        assert body["code"] == "not_authenticated" and body["fields"] == {}
        assert "登录" in body["message"]

    def test_validation_errors_name_their_fields_in_english_on_request(self, client, world):
        client.force_login(world.users["supervisor"])
        response = client.post("/api/v1/divisions", data=json.dumps({"name": ""}), content_type="application/json",
                               HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 422
        body = response.json()
        assert body["message"] == "Some of the data is not valid."
        assert body["fields"]["code"] == ["This field is required."]
        assert body["fields"]["name"] == ["Too short (at least 1 characters)."]

    def test_a_bad_query_parameter_is_a_422(self, client, world):
        client.force_login(world.users["supervisor"])
        response = client.get("/api/v1/divisions?page=0")
        assert response.status_code == 422
        assert "page" in response.json()["fields"]

    def test_a_wrong_enum_value_lists_the_choices(self, client, world):
        client.force_login(world.users["supervisor"])
        response = client.get("/api/v1/divisions?level=planet", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 422
        assert "city" in response.json()["fields"]["level"][0]

    def test_the_openapi_document_and_docs_are_served(self, client):
        schema = client.get("/api/openapi.json").json()
        assert schema["info"]["title"] == "Linli API"
        assert "/api/v1/divisions" in schema["paths"]
        assert client.get("/api/docs").status_code == 200


@pytest.mark.django_db
def test_a_page_outside_the_scope_is_a_404_page(client, world):
    client.force_login(world.users["community_worker"])
    response = client.get(f"/divisions/{world.node('甲市一区一街二社').code}/")
    assert response.status_code == 404
    assert "404" in response.content.decode()
