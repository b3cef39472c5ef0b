"""The demo city's life circle: a walking network over the first street's district, its people,
and two saved scenarios of elderly canteens in 中山街道 (as things are, and three new canteens
sited by maximal covering), so the map, the gap list and the comparison have something to show.

The network is generated, not read from OpenStreetMap: lanes about 150 m apart over the
district's communities, bent a little and with a few missing links, like an old town's grid.
"""

import numpy as np

from demo.context import ACTOR, DemoContext

from . import services
from .models import CandidateSource, DemandSource, Objective
from .network import build_graph

SPACING_M = 150.0


def walking_grid(west: float, south: float, east: float, north: float, *, spacing_m: float, seed: int):
    """A jittered lane grid over a box, with about one link in twelve missing."""
    rng = np.random.default_rng(seed)
    lat0 = (south + north) / 2
    metres_lat = 111_195.0
    metres_lon = metres_lat * np.cos(np.radians(lat0))
    cols = max(2, int((east - west) * metres_lon / spacing_m) + 1)
    rows = max(2, int((north - south) * metres_lat / spacing_m) + 1)
    y, x = np.divmod(np.arange(rows * cols), cols)
    lon = west + x * (east - west) / (cols - 1) + rng.normal(0, spacing_m * 0.12 / metres_lon, rows * cols)
    lat = south + y * (north - south) / (rows - 1) + rng.normal(0, spacing_m * 0.12 / metres_lat, rows * cols)
    ids = np.arange(rows * cols).reshape(rows, cols)
    u = np.concatenate([ids[:, :-1].ravel(), ids[:-1, :].ravel()])
    v = np.concatenate([ids[:, 1:].ravel(), ids[1:, :].ravel()])
    keep = rng.random(len(u)) > 0.08
    graph, _dropped = build_graph(lon, lat, u[keep], v[keep])
    return graph


def build_life_circle(ctx: DemoContext) -> None:
    street = ctx.streets[0]
    district = street.parent
    box = district.boundary["coordinates"][0]
    lons, lats = [p[0] for p in box], [p[1] for p in box]
    graph = walking_grid(min(lons), min(lats), max(lons), max(lats), spacing_m=SPACING_M, seed=ctx.seed)
    network = services.network_generate(actor=ACTOR, division=district, name=f"{district.name}步行路网（示例）", graph=graph)
    ctx.say(f"life circle: walking network of {network.node_count} nodes, {network.length_km:.0f} km")
    demand = services.demand_create(actor=ACTOR, division=street, network=network, name=f"{street.name}常住人口",
                                    source=DemandSource.COMMUNITIES)
    now = services.scenario_create(actor=ACTOR, demand=demand, name="老年食堂现状", facility_kind="elderly_canteen", run=True,
                                   include_osm=False)
    plan = services.scenario_create(actor=ACTOR, demand=demand, name="老年食堂补点方案（新增3处）", facility_kind="elderly_canteen",
                                    objective=Objective.MAX_COVER, k=3, candidate_source=CandidateSource.NETWORK, run=True,
                                    include_osm=False)
    centres = services.scenario_create(actor=ACTOR, demand=demand, name="党群服务中心、邻里中心现状",
                                       facility_kind="neighbourhood_centre", run=True, include_osm=False)
    ctx.say(f"life circle: party-mass and neighbourhood centres within 15 minutes of {centres.share:.0%}")
    ctx.say(f"life circle: {demand.population:,.0f} people in {street.name}; elderly canteens within 15 minutes: "
            f"{now.share:.0%} now, {plan.share_after:.0%} with three more")
