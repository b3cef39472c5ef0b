"""A lookup by an id from a request is always scoped: the neighbour's id is not found (404), and the
answer never names what it points at.

Each test names an operator or an agreed service that exists but is none of the user's business (the
operator of the next community, the agreement of another street), then one in scope to show the same
call works. tests/test_authz_matrix.py aims every route at the neighbour's path parameters; these ids
travel in bodies, which the matrix cannot guess.
"""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from neighbourhood.models import Need, ServiceOrder
from neighbourhood.selectors import need_kinds
from tests import authz
from volunteers.models import Opportunity

pytestmark = pytest.mark.django_db

NEIGHBOUR_OPERATOR = "甲市一区一街二社服务中心"  # serves only the community next door
OWN_OPERATOR = "甲市一区一街一社服务中心"


def _post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def _refused_without_a_name(response, *names):
    assert response.status_code == 404, response.content
    text = response.content.decode()
    assert not [name for name in names if name in text], text


def _tomorrow(hour: int) -> str:
    moment = (timezone.localtime() + timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return moment.isoformat()


def test_a_resident_ordering_from_the_neighbours_operator_learns_nothing_of_it(client, world):
    client.force_login(world.users["resident"])
    neighbour = world.organisations[NEIGHBOUR_OPERATOR]
    refused = _post(client, "/api/v1/neighbourhood/orders", {"operator_id": neighbour.pk, "category": "elderly_child", "title": "助浴"})
    _refused_without_a_name(refused, neighbour.name)
    assert not ServiceOrder.objects.exists()
    placed = _post(client, "/api/v1/neighbourhood/orders", {
        "operator_id": world.organisations[OWN_OPERATOR].pk, "category": "elderly_child", "title": "助浴"})
    assert placed.status_code == 201, placed.content


def test_marking_a_need_met_by_the_neighbours_operator_or_service_is_not_found(client, world):
    worker = world.users["community_worker"]
    community = world.node("甲市一区一街一社")
    need = Need.objects.create(community=community, category="elderly_child", kind=need_kinds().get(code="elderly_meals"),
                               title="老人用餐", recorded_by=worker, supports=1)
    elsewhere = authz._agreement_at(world, world.node("甲市一区二街一社"))  # another street's agreement
    service = elsewhere.services.first()
    client.force_login(worker)
    url = f"/api/v1/neighbourhood/needs/{need.pk}/status"
    neighbour = world.organisations[NEIGHBOUR_OPERATOR]
    _refused_without_a_name(_post(client, url, {"status": "met", "operator_id": neighbour.pk}), neighbour.name)
    _refused_without_a_name(_post(client, url, {"status": "met", "service_id": service.pk}), service.name, elsewhere.operator.name)
    _refused_without_a_name(client.post(f"/api/v1/neighbourhood/needs/{need.pk}/invitations",
                                        data=json.dumps({"operator_id": world.organisations[OWN_OPERATOR].pk, "service_id": service.pk}),
                                        content_type="application/json"), service.name)
    need.refresh_from_db()
    assert need.status == "open" and need.met_by_operator_id is None
    met = _post(client, url, {"status": "met", "operator_id": world.organisations[OWN_OPERATOR].pk})
    assert met.status_code == 200, met.content


def test_an_activity_organised_by_the_neighbours_operator_is_not_found(client, world):
    client.force_login(world.users["community_worker"])
    body = {"community": world.node("甲市一区一街一社").code, "title": "读书会", "category": "food_recreation", "capacity": 10,
            "starts_at": _tomorrow(10), "ends_at": _tomorrow(11), "place": "活动室"}
    neighbour = world.organisations[NEIGHBOUR_OPERATOR]
    _refused_without_a_name(_post(client, "/api/v1/neighbourhood/activities", {**body, "organiser_id": neighbour.pk}), neighbour.name)
    made = _post(client, "/api/v1/neighbourhood/activities", {**body, "organiser_id": world.organisations[OWN_OPERATOR].pk})
    assert made.status_code == 201, made.content


def test_a_volunteer_opportunity_or_team_run_for_the_neighbours_operator_is_not_found(client, world):
    client.force_login(world.users["community_worker"])
    community = world.node("甲市一区一街一社").code
    neighbour = world.organisations[NEIGHBOUR_OPERATOR]
    body = {"community": community, "title": "敲门行动", "places": 3, "starts_at": _tomorrow(9), "ends_at": _tomorrow(11),
            "place": "小区门口"}
    _refused_without_a_name(_post(client, "/api/v1/volunteers/opportunities", {**body, "organisation_id": neighbour.pk}),
                            neighbour.name)
    _refused_without_a_name(_post(client, "/api/v1/volunteers/teams", {"community": community, "name": "越界队",
                                                                       "organisation_id": neighbour.pk}), neighbour.name)
    assert not Opportunity.objects.exists()
    assert _post(client, "/api/v1/volunteers/opportunities", body).status_code == 201


def test_granting_a_role_to_someone_outside_ones_area_does_not_show_who_they_are(client, world):
    from tests.world import make_user

    stranger = make_user("stranger_far_away", role="resident", division=world.node("甲市二区一街一社"))
    type(stranger).objects.filter(pk=stranger.pk).update(display_name="远方的陌生人")
    client.force_login(world.users["street_admin"])
    body = {"username": stranger.username, "role": "community_worker", "division_code": world.node("甲市一区一街一社").code}
    refused = _post(client, "/api/v1/role-assignments", body)
    assert refused.status_code == 422 and "username" in refused.json()["fields"]
    assert "远方的陌生人" not in refused.content.decode()
    assert not stranger.role_assignments.filter(role="community_worker").exists()
    granted = _post(client, "/api/v1/role-assignments", {**body, "username": "resident_b"})  # of the street's next community
    assert granted.status_code == 201, granted.content
