"""What the API refuses before anything reaches the database, each with the one error shape, a 4xx
and nothing written: found by fuzzing (tests/test_fuzz.py), each once a 500 somewhere.

- a NUL character in any text (PostgreSQL's text cannot hold one), in a path, a query, a form or
  a body (and on pages, whose query parameters are read in many places);
- a body Django cannot read: form data without a valid multipart boundary, or a body over the
  upload limit;
- dates outside 1900–2199 and whole numbers beyond the database's columns;
- ``null`` in a partial update for a field that cannot be empty.

The last class keeps, as plain tests, the other 500s the fuzzing found in single operations.
"""

import json
from decimal import Decimal

import pytest
from django.test import Client

from accounts import services as account_services
from accounts.models import ApiToken
from funds.models import Project
from neighbourhood.models import Activity
from org.models import Division
from planning.models import DemandSet, Network
from registry.models import Site
from rulepack.models import RulePack
from scheduling.services import policy_for
from scheduling.tests.conftest import make_room
from tests import authz

HOME = "甲市一区一街一社"


def api(world, role: str) -> Client:
    """A client sending ``role``'s API token, in English."""
    _token, raw = account_services.token_issue(actor=world.users[role], name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en")


def send_json(client: Client, method: str, path: str, body) -> object:
    return getattr(client, method)(path, data=json.dumps(body), content_type="application/json")


def assert_refused(response, status: int, code: str, fields: set[str] | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == code and body["message"]
    if fields is not None:
        assert set(body["fields"]) == fields, body["fields"]
    return body


@pytest.mark.django_db
class TestNul:
    def test_a_nul_character_in_a_query_parameter_is_a_422_naming_it(self, world):
        response = api(world, "supervisor").get(f"/api/v1/funds/reach?within=%00{world.node('甲市一区').code}")
        body = assert_refused(response, 422, "validation_failed", {"within"})
        assert body["fields"]["within"] == ["Text cannot contain the NUL character."]

    def test_a_nul_character_in_a_path_parameter_is_a_422(self, world):
        response = api(world, "supervisor").get("/api/v1/divisions/3501%0001")
        assert_refused(response, 422, "validation_failed", {"code"})

    def test_a_nul_character_in_a_body_field_or_inside_one_is_a_422_and_creates_nothing(self, world):
        before = Division.objects.count()
        response = send_json(api(world, "supervisor"), "post", "/api/v1/divisions", {
            "parent_code": world.node("甲市一区").code, "code": "350101003000", "name": "新\x00街",
            "boundary": {"type": "Polygon", "note": ["ok", "\x00"]},
        })
        body = assert_refused(response, 422, "validation_failed", {"name", "boundary.note.1"})
        assert body["fields"]["name"] == ["Text cannot contain the NUL character."]
        assert Division.objects.count() == before

    def test_form_fields_are_checked_too(self, world):
        response = api(world, "supervisor").post("/api/v1/planning/demand", data={
            "division": "\x00", "network_id": "1", "source": "communities"})
        assert_refused(response, 422, "validation_failed", {"division"})
        assert DemandSet.objects.count() == 0


@pytest.mark.django_db
class TestUnreadableBodies:
    @pytest.mark.parametrize("debug", [False, True], ids=["production", "development"])
    @pytest.mark.parametrize("path, model", [
        ("/api/v1/auth/tokens", ApiToken), ("/api/v1/planning/demand", DemandSet), ("/api/v1/planning/networks", Network),
    ])
    @pytest.mark.parametrize("content_type", ["multipart/form-data", "multipart/form-data; boundary="])
    def test_form_data_without_a_valid_boundary_is_a_400(self, world, settings, debug, path, model, content_type):
        settings.DEBUG = debug  # in development ninja answered such a body with a 500 and a traceback
        client = api(world, "supervisor")
        before = model.objects.count()
        # Valid JSON inside: the token's sign-in reads it, then the axes lockout reads the form and fails.
        body = json.dumps({"username": "resident_a", "password": "wrong", "division": "x", "source": "communities"})
        response = client.post(path, data=body, content_type=content_type)
        assert_refused(response, 400, "malformed_body", set())
        assert model.objects.count() == before

    @pytest.mark.parametrize("debug", [False, True], ids=["production", "development"])
    def test_a_rule_pack_over_the_upload_limit_is_a_413(self, world, settings, debug):
        settings.DEBUG = debug
        city_supervisor = api(world, "city_supervisor")
        before = RulePack.objects.count()
        content = "# " + "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        response = send_json(city_supervisor, "post", "/api/v1/rule-packs", {"city_code": world.node("甲市").code, "content": content})
        body = assert_refused(response, 413, "too_large", set())
        assert body["message"] == "The upload is larger than 5 MB."
        assert RulePack.objects.count() == before


@pytest.mark.django_db
class TestRanges:
    def test_dates_far_outside_any_real_range_are_a_422_naming_them(self, world):
        room = make_room(world.node(HOME))
        response = api(world, "community_worker").get(
            f"/api/v1/scheduling/rooms/{room.pk}/events?start=0001-01-01T00:00:00%2B08:00&end=0001-01-02T00:00:00%2B08:00")
        body = assert_refused(response, 422, "validation_failed", {"start", "end"})
        assert body["fields"]["start"] == ["Enter a date from 1900-01-01 to 2199-12-31."]

    def test_a_time_zone_offset_no_place_has_is_a_422_naming_it(self, world):
        room = make_room(world.node(HOME))
        response = api(world, "community_worker").get(
            f"/api/v1/scheduling/rooms/{room.pk}/events?start=2026-12-01T00:00:00%2B17:24&end=2026-12-02T00:00:00%2B08:00")
        body = assert_refused(response, 422, "validation_failed", {"start"})
        assert body["fields"]["start"] == ["Enter a time zone offset from -12:00 to +14:00."]

    def test_an_activity_in_the_year_9999_is_a_422_and_creates_nothing(self, world):
        response = send_json(api(world, "community_worker"), "post", "/api/v1/neighbourhood/activities", {
            "community": world.node(HOME).code, "title": "跨年", "category": "food_recreation", "capacity": 10,
            "starts_at": "9999-12-31T22:00:00+08:00", "ends_at": "9999-12-31T23:00:00+08:00",
        })
        assert_refused(response, 422, "validation_failed", {"starts_at", "ends_at"})
        assert Activity.objects.count() == 0

    def test_a_whole_number_beyond_bigint_is_a_422_and_creates_nothing(self, world):
        fund = authz._fund_at(world, world.node(HOME))
        before = Project.objects.count()
        response = send_json(api(world, "community_worker"), "post", f"/api/v1/funds/{fund.division.code}/projects", {
            "title": "车棚", "kind": "micro_renovation", "budget": "100.00", "beneficiaries": "居民",
            "beneficiary_count": 2**63, "plan": "修缮",
        })
        body = assert_refused(response, 422, "validation_failed", {"beneficiary_count"})
        assert body["fields"]["beneficiary_count"] == ["Must be at most 2147483647."]
        assert Project.objects.count() == before

    def test_the_bounds_themselves_are_accepted(self, world):
        room = make_room(world.node(HOME))
        response = api(world, "community_worker").get(
            f"/api/v1/scheduling/rooms/{room.pk}/events?start=2199-12-01T00:00:00%2B08:00&end=2199-12-31T00:00:00%2B08:00")
        assert response.status_code == 200


@pytest.mark.django_db
class TestNullInAPatch:
    def test_null_for_a_site_field_that_cannot_be_empty_is_a_422_naming_it(self, world):
        site = authz._site_at(world, world.node(HOME))
        Site.objects.filter(pk=site.pk).update(address="一街1号")
        response = send_json(api(world, "street_admin"), "patch", f"/api/v1/registry/sites/{site.pk}",
                             {"address": None, "note": "改"})
        body = assert_refused(response, 422, "validation_failed", {"address"})
        assert body["fields"]["address"] == ["This field cannot be null."]
        site.refresh_from_db()
        assert site.address == "一街1号" and site.note == ""

    def test_null_for_a_field_that_may_be_emptied_still_empties_it(self, world):
        site = authz._site_at(world, world.node(HOME))
        Site.objects.filter(pk=site.pk).update(latitude=Decimal("24.5"))
        response = send_json(api(world, "street_admin"), "patch", f"/api/v1/registry/sites/{site.pk}", {"latitude": None})
        assert response.status_code == 200, response.content
        site.refresh_from_db()
        assert site.latitude is None

    def test_null_for_a_room_policy_rule_is_a_422_and_changes_nothing(self, world):
        room = make_room(world.node(HOME))
        before = policy_for(room)
        response = send_json(api(world, "community_worker"), "patch", f"/api/v1/scheduling/rooms/{room.pk}/policy",
                             {"bookers": None, "min_minutes": None, "horizon_days": 30})
        assert_refused(response, 422, "validation_failed", {"bookers", "min_minutes"})
        after = policy_for(room)
        assert (after.bookers, after.min_minutes, after.horizon_days) == (before.bookers, before.min_minutes, before.horizon_days)


@pytest.mark.django_db
def test_every_operation_documents_the_errors_it_can_answer_with(client):
    document = client.get("/api/openapi.json").json()
    missing = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            expected = {"404", "422"}
            if operation.get("security"):
                expected |= {"401", "403"}
            if "requestBody" in operation:
                expected |= {"400", "413"}
            undocumented = expected - set(operation["responses"])
            if undocumented:
                missing.append(f"{method.upper()} {path}: {sorted(undocumented)}")
    assert not missing, missing
    assert document["paths"]["/api/v1/divisions"]["get"]["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorOut"}


@pytest.mark.django_db
class TestPages:
    def test_a_nul_character_in_a_page_query_is_a_400_page(self, client, world):
        client.force_login(world.users["community_worker"])
        response = client.get("/funds/?q=%00", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert "The request could not be understood." in response.content.decode()

    def test_a_nul_character_in_a_page_form_is_a_400_and_changes_nothing(self, client, world):
        client.force_login(world.users["supervisor"])
        before = Division.objects.count()
        response = client.post(f"/divisions/{world.node('甲市一区').code}/add/", {"name": "新\x00街", "code": "350101003000"})
        assert response.status_code == 400
        assert Division.objects.count() == before

    def test_pages_without_one_answer_as_before(self, client, world):
        client.force_login(world.users["community_worker"])
        assert client.get("/funds/?q=基金").status_code == 200


@pytest.mark.django_db
class TestOtherAnswersTheFuzzingFound:
    def test_an_attendance_code_beyond_ascii_is_not_right_rather_than_a_500(self, world):
        activity = authz._activity_at(world, world.node(HOME))
        response = send_json(api(world, "resident"), "post", f"/api/v1/neighbourhood/activities/{activity.pk}/check-in",
                             {"code": "一二三四五六"})
        body = assert_refused(response, 422, "validation_failed", {"code"})
        assert body["fields"]["code"] == ["The attendance code is not right."]

    def test_a_volunteer_sign_in_code_beyond_ascii_is_not_valid(self, world):
        from django.utils import timezone

        from volunteers.services import sign_code_valid

        assert sign_code_valid(authz._opportunity_at(world, world.node(HOME)), "一二三四五六", timezone.now()) is False

    def test_switching_off_a_centre_not_yet_rated_answers_its_state_as_null(self, world):
        site = authz._site_at(world, world.node(HOME))
        response = send_json(api(world, "street_admin"), "post", f"/api/v1/registry/sites/{site.pk}/online-services",
                             {"on": False, "note": "暂停"})
        assert response.status_code == 200, response.content
        assert response.json()["state"] is None and response.json()["is_on"] is False

