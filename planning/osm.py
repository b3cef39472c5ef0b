"""Reading an OpenStreetMap PBF extract: the walking network, residential buildings and POIs.

pyrosm parses the file (all in memory, fast enough for a city's extract); what we keep goes
into arrays: the walking network as a graph (``planning.network``), each residential building
as a point with its footprint and levels (demand is computed from them later, with the rule
pack's persons per m²), and the POIs that match a facility kind's OpenStreetMap tags.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from django.utils.translation import gettext_lazy as _

from core.errors import ValidationFailed

from .network import Graph, Projection, build_graph

MAX_TAG_VALUES = 200


@dataclass
class Extract:
    graph: Graph
    dropped: dict
    buildings: int
    pois: int


def _fail(message) -> ValidationFailed:
    return ValidationFailed(message, fields={"file": [message]})


def parse_tags(specs: list[str]) -> list[tuple[str, str]]:
    """["amenity=kindergarten", "amenity=childcare"] -> [("amenity", "kindergarten"), ...]."""
    pairs = []
    for spec in specs:
        key, _sep, value = spec.partition("=")
        if key.strip() and value.strip():
            pairs.append((key.strip(), value.strip()))
    return pairs


def read_pbf(path: str, *, building_tags: list[str], poi_tags: dict[str, list[str]],
             progress: Callable[[str, int], None] = lambda stage, percent: None) -> Extract:
    """The walking network, residential buildings and facility POIs of the PBF file at ``path``.

    Raises ValidationFailed with a message a planner can act on when the file is not a PBF, is
    damaged (in any of its parts: what pyrosm raises while reading is the file's fault, never a
    traceback), or has no walkable ways. ``progress`` gets the stage's code
    (``planning.labels.STAGE_LABELS``) and a percentage.
    """
    import pyrosm

    progress("reading", 5)
    with _reading(None):
        osm = pyrosm.OSM(str(path))
    progress("network", 10)
    with _reading(_("walkable ways")):
        result = osm.get_network(network_type="walking", nodes=True)
    if result is None or result[1] is None or len(result[1]) == 0:
        raise _fail(_("The file has no walkable ways (footways, paths, residential streets): it cannot make a walking network."))
    nodes, edges = result
    progress("graph", 40)
    with _reading(_("walkable ways")):
        node_ids = nodes["id"].to_numpy(dtype=np.int64)
        order = np.argsort(node_ids)
        node_ids = node_ids[order]
        lon = nodes["lon"].to_numpy(dtype=np.float64)[order]
        lat = nodes["lat"].to_numpy(dtype=np.float64)[order]
        u_ids = edges["u"].to_numpy(dtype=np.int64)
        v_ids = edges["v"].to_numpy(dtype=np.int64)
        length = edges["length"].to_numpy(dtype=np.float64) if "length" in edges else None
    u = np.searchsorted(node_ids, u_ids)
    v = np.searchsorted(node_ids, v_ids)
    known = (u < len(node_ids)) & (v < len(node_ids))
    known[known] &= (node_ids[u[known]] == u_ids[known]) & (node_ids[v[known]] == v_ids[known])
    graph, dropped = build_graph(lon, lat, u[known], v[known], None if length is None else length[known], osm_id=node_ids)
    if graph.node_count < 2:
        raise _fail(_("The file's walkable ways do not connect into a network."))
    progress("buildings", 60)
    with _reading(_("residential buildings")):
        graph.extra.update(_buildings(osm, building_tags, graph.projection))
    progress("pois", 80)
    with _reading(_("facilities (POIs)")):
        graph.extra.update(_pois(osm, poi_tags))
    progress("saving", 90)
    return Extract(graph=graph, dropped=dropped, buildings=len(graph.extra["building_lon"]), pois=len(graph.extra["poi_lon"]))


@contextmanager
def _reading(part):
    """Turn whatever goes wrong while pyrosm reads a ``part`` of the file (None: opening it) into
    a ValidationFailed whose sentence is the user's language, the reader's own words in brackets."""
    from pyrosm.exceptions import InvalidOSMFileError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    except ValidationFailed:
        raise
    except Exception as error:  # pyrosm's decoders raise a variety of errors on damaged blocks
        detail = (str(error) or type(error).__name__)[:200]
        if part is None and isinstance(error, InvalidOSMFileError | ValueError | OSError | EOFError | KeyError | IndexError
                                       | TypeError):
            message = _("The file is not a readable OpenStreetMap PBF extract (%(error)s).") % {"error": detail}
        elif part is None:
            message = _("The file is damaged and cannot be read as OpenStreetMap data (%(error)s).") % {"error": detail}
        else:
            message = _("The file is damaged: its %(part)s cannot be read as OpenStreetMap data (%(error)s).") % {
                "part": part, "error": detail}
        raise _fail(message) from None


def _centroids(gdf) -> tuple[np.ndarray, np.ndarray]:
    points = gdf.geometry.representative_point()
    return points.x.to_numpy(dtype=np.float64), points.y.to_numpy(dtype=np.float64)


def _buildings(osm, building_tags: list[str], projection: Projection) -> dict[str, np.ndarray]:
    import shapely

    empty = {"building_lon": np.zeros(0), "building_lat": np.zeros(0), "building_footprint": np.zeros(0),
             "building_levels": np.zeros(0)}
    buildings = osm.get_buildings()
    if buildings is None or len(buildings) == 0:
        return empty
    kinds = buildings["building"].fillna("yes").astype(str)
    buildings = buildings[kinds.isin(building_tags) & buildings.geometry.notna()]
    buildings = buildings[buildings.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if len(buildings) == 0:
        return empty
    lon0, lat0 = projection.lon0, projection.lat0
    projected = shapely.transform(buildings.geometry.to_numpy(), lambda xy: Projection(lon0, lat0).xy(xy[:, 0], xy[:, 1]))
    footprint = shapely.area(projected)
    levels = np.full(len(buildings), np.nan)
    if "building:levels" in buildings:
        import pandas as pd

        levels = pd.to_numeric(buildings["building:levels"], errors="coerce").to_numpy(dtype=np.float64, copy=True)
        levels[(levels <= 0) | (levels > 200)] = np.nan
    blon, blat = _centroids(buildings)
    return {"building_lon": blon, "building_lat": blat, "building_footprint": footprint, "building_levels": levels}


def _pois(osm, poi_tags: dict[str, list[str]]) -> dict[str, np.ndarray]:
    kinds = sorted(poi_tags)
    wanted: dict[str, set[str]] = {}
    for kind in kinds:
        for key, value in parse_tags(poi_tags[kind]):
            wanted.setdefault(key, set()).add(value)
    empty = {"poi_lon": np.zeros(0), "poi_lat": np.zeros(0), "poi_kind": np.zeros(0, dtype="<U40"),
             "poi_name": np.zeros(0, dtype="<U80")}
    if not wanted:
        return empty
    pois = osm.get_pois(custom_filter={key: sorted(values)[:MAX_TAG_VALUES] for key, values in wanted.items()})
    if pois is None or len(pois) == 0:
        return empty
    pois = pois[pois.geometry.notna()]
    plon, plat = _centroids(pois)
    names = pois["name"].fillna("").astype(str).to_numpy() if "name" in pois else np.full(len(pois), "")
    out_lon, out_lat, out_kind, out_name = [], [], [], []
    for kind in kinds:
        match = np.zeros(len(pois), dtype=bool)
        for key, value in parse_tags(poi_tags[kind]):
            if key in pois:
                match |= (pois[key].astype(str) == value).to_numpy()
        out_lon.append(plon[match])
        out_lat.append(plat[match])
        out_kind.append(np.full(int(match.sum()), kind, dtype="<U40"))
        out_name.append(np.array([n[:80] for n in names[match]], dtype="<U80"))
    return {"poi_lon": np.concatenate(out_lon), "poi_lat": np.concatenate(out_lat), "poi_kind": np.concatenate(out_kind),
            "poi_name": np.concatenate(out_name)}
