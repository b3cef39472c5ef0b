"""Who does what, the same on the pages and in the API: grid workers record the needs of their grid."""

import pytest

from .. import selectors
from ..models import Need

pytestmark = pytest.mark.django_db
COMMUNITY = "甲市一区一街一社"
JSON = "application/json"


def kind(code):
    return selectors.need_kinds().get(code=code)


# Grid workers (网格员): community workers held at a grid.

def test_a_grid_worker_records_a_need_on_the_page_filed_under_their_grid(client, world, grids):
    client.force_login(grids["worker"])
    page = client.get("/neighbourhood/needs/new/")
    assert page.status_code == 200 and "甲市一区一街一社一格" in page.content.decode()
    response = client.post("/neighbourhood/needs/new/", {"kind": kind("elderly_meals").pk, "title": "独居老人吃饭难",
                                                         "on_behalf_of": "5号楼张大爷", "grid": grids["first"].code, "confirm": "1"})
    need = Need.objects.get()
    assert response.status_code == 302 and (need.community, need.grid, need.source) == (world.node(COMMUNITY), grids["first"], "grid_worker")
    assert client.get(response["Location"]).status_code == 200  # they see what they recorded
    assert "独居老人吃饭难" in client.get(f"/neighbourhood/staff/{grids['first'].code}/needs/").content.decode()


def test_a_grid_worker_records_through_the_api_and_the_neighbours_are_refused(client, world, grids):
    community = world.node(COMMUNITY)
    client.force_login(grids["worker"])
    created = client.post("/api/v1/neighbourhood/needs", {"kind": "after_school", "title": "四点半课堂", "on_behalf_of": "双职工家庭"},
                          content_type=JSON)
    assert created.status_code == 201, created.content
    assert (created.json()["community"], created.json()["grid"], created.json()["source"]) == (community.code, grids["first"].code,
                                                                                              "grid_worker")
    client.force_login(grids["neighbour"])  # the grid beside, in the same community
    assert client.post("/api/v1/neighbourhood/needs", {"kind": "after_school", "grid": grids["first"].code},
                       content_type=JSON).status_code == 404
    client.force_login(grids["next_door"])  # a grid of the community next door
    assert client.post("/api/v1/neighbourhood/needs", {"kind": "after_school", "community": community.code},
                       content_type=JSON).status_code == 404
    assert client.post("/neighbourhood/needs/new/?community=" + community.code, {"kind": kind("after_school").pk}).status_code == 404
    assert Need.objects.count() == 1


def test_the_communitys_worker_names_a_grid_through_the_api(client, world, grids):
    client.force_login(world.users["community_worker"])
    created = client.post("/api/v1/neighbourhood/needs", {"kind": "street_lights", "community": world.node(COMMUNITY).code,
                                                          "grid": grids["second"].code}, content_type=JSON)
    assert created.status_code == 201 and created.json()["grid"] == grids["second"].code
