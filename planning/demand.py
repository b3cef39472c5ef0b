"""Where people live, as points with a population: from communities, buildings or an upload.

Each builder returns plain arrays (lon, lat, population), and notes on what it had to assume
(communities counted from their households, points laid further apart than asked) for the
demand set to record and its page to show; ``place`` then snaps the points to
the network (dropping, and listing, those further than the rule pack's distance from any
walkable way) and finds each point's community, by boundary where communities have one and
by the nearest centre otherwise.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

import numpy as np
from django.utils.translation import gettext_lazy as _

from core.errors import ValidationFailed

from .network import ON_NETWORK, Graph, Projection

MAX_UPLOAD_POINTS = 500_000
LON_NAMES = ("lon", "lng", "longitude", "x", "经度")
LAT_NAMES = ("lat", "latitude", "y", "纬度")
POP_NAMES = ("population", "pop", "people", "人口", "人数", "常住人口")
NAME_NAMES = ("name", "label", "名称")


@dataclass
class Points:
    lon: np.ndarray
    lat: np.ndarray
    population: np.ndarray
    label: list[str] | None = None
    notes: dict = field(default_factory=dict)


@dataclass
class Placed:
    lon: np.ndarray
    lat: np.ndarray
    population: np.ndarray
    node: np.ndarray
    snap_m: np.ndarray
    community: np.ndarray  # Division pk, -1 where none
    dropped: list[dict]
    dropped_population: float


def polygons_of(geometry: dict | None) -> list[list]:
    """The outer rings of a GeoJSON Polygon or MultiPolygon."""
    if not isinstance(geometry, dict):
        return []
    if geometry.get("type") == "Polygon":
        return [geometry["coordinates"][0]]
    if geometry.get("type") == "MultiPolygon":
        return [polygon[0] for polygon in geometry["coordinates"]]
    return []


def from_communities(communities, spacing_m: float, *, max_points: int, persons_per_household: float) -> Points:
    """Each community's population spread evenly over points ``spacing_m`` apart inside its boundary
    (or at its centre when it has no boundary). A community whose population is not known but its
    households are has households × ``persons_per_household`` people; one whose boundary would hold
    more than ``max_points`` points gets them further apart. The notes name both kinds."""
    import shapely

    lons, lats, pops = [], [], []
    estimated: list[str] = []
    coarsened: dict[str, float] = {}
    for community in communities:
        population = float(community.population or 0)
        if not population and community.households:
            population = community.households * persons_per_household
            estimated.append(community.name)
        if not population:
            continue
        rings = polygons_of(community.boundary)
        points = np.zeros((0, 2))
        if rings:
            shape = shapely.MultiPolygon([shapely.Polygon(ring) for ring in rings])
            west, south, east, north = shape.bounds
            projection = Projection((west + east) / 2, (south + north) / 2)
            corner = projection.xy([west, east], [south, north])
            step = spacing_m
            while ((corner[1, 0] - corner[0, 0]) / step) * ((corner[1, 1] - corner[0, 1]) / step) > max_points:
                step *= 1.5
            if step > spacing_m:
                coarsened[community.name] = round(step)
            xs = np.arange(corner[0, 0] + step / 2, corner[1, 0], step)
            ys = np.arange(corner[0, 1] + step / 2, corner[1, 1], step)
            gx, gy = np.meshgrid(xs, ys)
            plon = projection.lon0 + np.degrees(gx.ravel() / (6_371_008.8 * np.cos(np.radians(projection.lat0))))
            plat = projection.lat0 + np.degrees(gy.ravel() / 6_371_008.8)
            inside = shapely.contains_xy(shape, plon, plat)
            points = np.column_stack([plon[inside], plat[inside]])
            if not len(points):
                centre = shape.representative_point()
                points = np.array([[centre.x, centre.y]])
        elif community.longitude is not None and community.latitude is not None:
            points = np.array([[float(community.longitude), float(community.latitude)]])
        if not len(points):
            continue
        lons.append(points[:, 0])
        lats.append(points[:, 1])
        pops.append(np.full(len(points), population / len(points)))
    notes = {**({"persons_per_household": persons_per_household, "from_households": estimated} if estimated else {}),
             **({"coarsened": coarsened} if coarsened else {})}
    if not lons:
        return Points(np.zeros(0), np.zeros(0), np.zeros(0), notes=notes)
    return Points(np.concatenate(lons), np.concatenate(lats), np.concatenate(pops), notes=notes)


def from_buildings(graph: Graph, *, persons_per_m2: float, default_levels: int) -> Points:
    lon = graph.extra.get("building_lon", np.zeros(0))
    if not len(lon):
        return Points(np.zeros(0), np.zeros(0), np.zeros(0))
    levels = np.where(np.isnan(graph.extra["building_levels"]), default_levels, graph.extra["building_levels"])
    population = graph.extra["building_footprint"] * levels * persons_per_m2
    return Points(lon, graph.extra["building_lat"], population)


def _pick(names: list[str], wanted: tuple[str, ...]) -> str | None:
    lowered = {name.strip().lower(): name for name in names}
    return next((lowered[w] for w in wanted if w in lowered), None)


def _number(value) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return float(str(value).strip().replace(",", ""))


def parse_upload(name: str, data: bytes, *, need_population: bool = True) -> Points:
    """Points from a CSV (columns lon/lat/population, or 经度/纬度/人口) or a GeoJSON FeatureCollection
    (Points, or Polygons taken at a point inside them; population in a property). Every bad row is
    listed; if any is bad nothing is read."""
    text = None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        raise ValidationFailed(fields={"file": [_("The file is neither UTF-8 nor GB18030 text.")]})
    stripped = text.lstrip()
    if name.lower().endswith((".geojson", ".json")) or stripped.startswith("{"):
        rows = _geojson_rows(stripped, need_population)
    else:
        rows = _csv_rows(text, need_population)
    if len(rows) > MAX_UPLOAD_POINTS:
        raise ValidationFailed(fields={"file": [_("At most %(n)s points per file.") % {"n": MAX_UPLOAD_POINTS}]})
    errors, lon, lat, pop, labels = [], [], [], [], []
    for number, (x, y, p, label) in enumerate(rows, start=2 if not stripped.startswith("{") else 1):
        try:
            fx, fy = _number(x), _number(y)
            fp = _number(p) if need_population else 0.0
        except (TypeError, ValueError):
            errors.append(str(_("Row %(row)s: longitude, latitude and population must be numbers.") % {"row": number}))
            continue
        if not (-180 <= fx <= 180 and -90 <= fy <= 90):
            errors.append(str(_("Row %(row)s: the coordinates are not a longitude and latitude.") % {"row": number}))
            continue
        if not np.isfinite(fp) or fp < 0:
            errors.append(str(_("Row %(row)s: the population cannot be negative.") % {"row": number}))
            continue
        lon.append(fx)
        lat.append(fy)
        pop.append(fp)
        labels.append(str(label or "")[:100])
    if errors:
        shown = errors[:50] + ([str(_("… and %(n)s more rows.") % {"n": len(errors) - 50})] if len(errors) > 50 else [])
        raise ValidationFailed(_("Some rows of the file are wrong; nothing was read."), fields={"file": shown})
    if not lon:
        raise ValidationFailed(fields={"file": [_("The file has no points.")]})
    return Points(np.array(lon), np.array(lat), np.array(pop), labels)


def _csv_rows(text: str, need_population: bool) -> list[tuple]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise ValidationFailed(fields={"file": [_("The file is empty.")]})
    lon_col, lat_col = _pick(header, LON_NAMES), _pick(header, LAT_NAMES)
    pop_col, name_col = _pick(header, POP_NAMES), _pick(header, NAME_NAMES)
    if lon_col is None or lat_col is None or (need_population and pop_col is None):
        raise ValidationFailed(fields={"file": [_("The first row must name the columns: lon, lat and population (or 经度, 纬度, 人口).")]})
    index = {name: i for i, name in enumerate(header)}
    rows = []

    def cell(row: list[str], col: str | None):
        return row[index[col]] if col is not None and index[col] < len(row) else None

    for row in reader:
        if not any(value.strip() for value in row):
            continue
        rows.append((cell(row, lon_col), cell(row, lat_col), cell(row, pop_col), cell(row, name_col)))
    return rows


def _geojson_rows(text: str, need_population: bool) -> list[tuple]:
    import shapely

    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValidationFailed(fields={"file": [_("The file is not valid GeoJSON: %(error)s") % {"error": error}]}) from None
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        raise ValidationFailed(fields={"file": [_("The GeoJSON must be a FeatureCollection.")]})
    rows = []
    for feature in features:
        geometry = (feature or {}).get("geometry") or {}
        properties = (feature or {}).get("properties") or {}
        try:
            shape = shapely.geometry.shape(geometry)
            point = shape if shape.geom_type == "Point" else shape.representative_point()
            x, y = point.x, point.y
        except Exception:
            x = y = None
        pop_key = _pick(list(properties), POP_NAMES)
        name_key = _pick(list(properties), NAME_NAMES)
        rows.append((x, y, properties.get(pop_key) if pop_key else None, properties.get(name_key) if name_key else ""))
    return rows


def community_of(lon: np.ndarray, lat: np.ndarray, communities, projection: Projection) -> tuple[np.ndarray, bool]:
    """The community (pk, -1 for none) of each point: by boundary where communities have one, else
    the nearest centre. Also says whether any community had a boundary."""
    import shapely
    from scipy.spatial import cKDTree

    community = np.full(len(lon), -1, dtype=np.int64)
    shaped = [(c, polygons_of(c.boundary)) for c in communities]
    with_shape = [(c, shapely.MultiPolygon([shapely.Polygon(r) for r in rings])) for c, rings in shaped if rings]
    if with_shape and len(lon):
        tree = shapely.STRtree([shape for _c, shape in with_shape])
        hit_point, hit_shape = tree.query(shapely.points(lon, lat), predicate="within")
        community[hit_point] = [with_shape[i][0].pk for i in hit_shape]
    centres = [c for c, rings in shaped if not rings and c.latitude is not None and c.longitude is not None]
    unassigned = community < 0
    if centres and unassigned.any():
        centre_xy = projection.xy([float(c.longitude) for c in centres], [float(c.latitude) for c in centres])
        _dist, nearest = cKDTree(centre_xy).query(projection.xy(lon[unassigned], lat[unassigned]))
        community[unassigned] = np.array([centres[i].pk for i in nearest], dtype=np.int64)
    return community, bool(with_shape)


def place(points: Points, graph: Graph, communities, *, snap_max_m: float, join_main_within_m: float = 0.0,
          keep_outside: bool) -> Placed:
    """Snap points to the network and find their community; drop (and list) those too far from it or
    on a part of the ways not connected to it (``Graph.place``), and — unless ``keep_outside`` — those outside every community of the area where communities
    have boundaries."""
    node, snap, reason = graph.place(points.lon, points.lat, snap_max_m, join_main_within_m)
    community, any_boundary = community_of(points.lon, points.lat, communities, graph.projection)
    off = reason != ON_NETWORK
    outside = (community < 0) & (not keep_outside) & any_boundary
    drop = off | outside
    dropped = []
    for i in np.flatnonzero(drop)[:1000]:
        dropped.append({"lon": round(float(points.lon[i]), 6), "lat": round(float(points.lat[i]), 6),
                        "population": round(float(points.population[i]), 1), "distance_m": round(float(snap[i]), 1),
                        "reason": str(reason[i]) if off[i] else "outside_area",
                        "label": points.label[i] if points.label else ""})
    keep = ~drop
    return Placed(lon=points.lon[keep], lat=points.lat[keep], population=points.population[keep], node=node[keep],
                  snap_m=snap[keep], community=community[keep], dropped=dropped,
                  dropped_population=float(points.population[drop].sum()))
