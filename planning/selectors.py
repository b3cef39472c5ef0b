"""Reading life-circle plans: networks, demand and scenarios in the user's scope, a scenario's
coverage by area, its gap list, its map, and the comparison of two scenarios."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.utils.translation import gettext_lazy as _

from accounts.permissions import get_for_user, visible_to
from core.errors import Conflict
from org.models import Division, DivisionLevel

from .models import CoverageArea, DemandSet, JobStatus, Network, ProposedSite, Scenario
from .network import Graph
from .services import demand_arrays, network_graph, pack_parameter, stored_arrays

MAP_POINTS_MAX = 20_000
MAP_EDGES_MAX = 40_000


def network_list(*, user, within: Division | None = None) -> QuerySet[Network]:
    networks = visible_to(user, "planning.view_network", Network.objects.select_related("division", "created_by"))
    if within is not None:
        # Networks of the area, and those of the divisions above it that serve it.
        from core.scoping import ancestor_paths

        networks = networks.filter(division__path__in=[*ancestor_paths(within.path), within.path]) | networks.filter(
            division__path__startswith=within.path)
    return networks.order_by("-created_at", "-id")


def network_get(*, user, pk: int) -> Network:
    return get_for_user(user, "planning.view_network", Network.objects.select_related("division"), pk=pk)


def demand_list(*, user, within: Division | None = None, network: Network | None = None) -> QuerySet[DemandSet]:
    sets = visible_to(user, "planning.view_demandset", DemandSet.objects.select_related("division", "network"))
    if within is not None:
        sets = sets.filter(division__path__startswith=within.path)
    if network is not None:
        sets = sets.filter(network=network)
    return sets.order_by("-created_at", "-id")


def demand_get(*, user, pk: int) -> DemandSet:
    return get_for_user(user, "planning.view_demandset", DemandSet.objects.select_related("division", "network__division"), pk=pk)


def scenario_list(*, user, within: Division | None = None, facility_kind: str | None = None) -> QuerySet[Scenario]:
    scenarios = visible_to(user, "planning.view_scenario",
                           Scenario.objects.select_related("division", "demand__network", "created_by"))
    if within is not None:
        scenarios = scenarios.filter(division__path__startswith=within.path)
    if facility_kind:
        scenarios = scenarios.filter(facility_kind=facility_kind)
    return scenarios.order_by("-created_at", "-id")


def _proposed_sites() -> Prefetch:
    return Prefetch("proposed_sites", queryset=ProposedSite.objects.select_related("site", "community").order_by("order"))


def scenario_get(*, user, pk: int) -> Scenario:
    """A scenario the user may see, with its proposed sites (and their sites and communities) at hand."""
    return get_for_user(user, "planning.view_scenario",
                        Scenario.objects.select_related("division", "demand__network__division", "created_by")
                        .prefetch_related(_proposed_sites()), pk=pk)


def scenario_areas(*, scenario: Scenario, level: str | None = None) -> list[CoverageArea]:
    areas = scenario.areas.select_related("division__parent")
    if level:
        areas = areas.filter(level=level)
    return list(areas.order_by("division__path"))


def coverage_list(*, user, within: Division | None = None) -> QuerySet[CoverageArea]:
    rows = visible_to(user, "planning.view_coveragearea", CoverageArea.objects.select_related("scenario", "division")).filter(
        scenario__status=JobStatus.DONE)
    if within is not None:
        rows = rows.filter(division__path__startswith=within.path)
    return rows.order_by("division__path", "scenario__facility_kind", "-scenario__finished_at")


@dataclass
class ScenarioArrays:
    distance: np.ndarray
    distance_after: np.ndarray | None
    fac_lon: np.ndarray
    fac_lat: np.ndarray
    fac_label: np.ndarray
    fac_source: np.ndarray
    fac_ref: np.ndarray


def scenario_arrays(scenario: Scenario) -> ScenarioArrays:
    try:
        with stored_arrays(scenario.file) as data:
            return ScenarioArrays(distance=data["distance"],
                                  distance_after=data["distance_after"] if "distance_after" in data.files else None,
                                  fac_lon=data["fac_lon"], fac_lat=data["fac_lat"], fac_label=data["fac_label"],
                                  fac_source=data["fac_source"], fac_ref=data["fac_ref"])
    except FileNotFoundError:
        raise Conflict(_("The results file of the scenario %(name)s is missing; compute it again.") % {"name": scenario.name},
                       code="scenario_file_missing") from None


@dataclass
class GapRow:
    community: Division
    population: float
    uncovered: float
    uncovered_after: float | None
    mean_distance_m: float | None

    @property
    def share_uncovered(self) -> float:
        return self.uncovered / self.population if self.population else 0.0


def gap_list(*, scenario: Scenario) -> list[GapRow]:
    """Communities with more people beyond the threshold than the pack's ``planning.gap_min_people``,
    most people first."""
    least = float(pack_parameter(scenario.division, "planning.gap_min_people"))
    rows = []
    for area in scenario_areas(scenario=scenario, level=DivisionLevel.COMMUNITY):
        if area.uncovered <= least:
            continue
        rows.append(GapRow(community=area.division, population=area.population, uncovered=area.uncovered,
                           uncovered_after=None if area.covered_after is None else max(0.0, area.population - area.covered_after),
                           mean_distance_m=area.mean_distance_m))
    return sorted(rows, key=lambda r: -r.uncovered)


def gap_points(*, scenario: Scenario) -> list[dict]:
    """Every demand point beyond the threshold: where, how many people, how far, which community."""
    demand = demand_arrays(scenario.demand)
    arrays = scenario_arrays(scenario)
    threshold = scenario.threshold_m
    names = dict(Division.objects.filter(pk__in=np.unique(demand.community).tolist()).values_list("pk", "name"))
    out = []
    for i in np.flatnonzero(arrays.distance > threshold):
        after = None if arrays.distance_after is None else arrays.distance_after[i]
        out.append({"community": names.get(int(demand.community[i]), ""), "lon": float(demand.lon[i]), "lat": float(demand.lat[i]),
                    "population": float(demand.population[i]),
                    "distance_m": None if not np.isfinite(arrays.distance[i]) else float(arrays.distance[i]),
                    "covered_after": None if after is None else bool(after <= threshold)})
    return sorted(out, key=lambda r: (r["community"], -(r["distance_m"] or 1e12)))


def scenario_geojson(*, user, scenario: Scenario) -> dict:
    """The scenario's map: its communities' boundaries with their coverage (the share of people
    within the threshold, now and with the new sites: the same rows as the page's tables), demand
    points by state, facilities, proposed sites (GeoJSON)."""
    demand = demand_arrays(scenario.demand)
    arrays = scenario_arrays(scenario)
    threshold = scenario.threshold_m
    state = np.where(arrays.distance <= threshold, "covered", "uncovered").astype("<U12")
    if arrays.distance_after is not None:
        state[(arrays.distance > threshold) & (arrays.distance_after <= threshold)] = "new"
    features = [{"type": "Feature", "geometry": area.division.boundary,
                 "properties": {"layer": "community", "name": area.division.name, "population": round(area.population),
                                "share": area.share, "share_after": area.share_after}}
                for area in scenario_areas(scenario=scenario, level=DivisionLevel.COMMUNITY) if area.division.boundary]
    order = np.arange(len(demand.lon))
    if len(order) > MAP_POINTS_MAX:
        order = np.random.default_rng(scenario.pk).choice(order, MAP_POINTS_MAX, replace=False)
    minutes_per_m = 1 / scenario.speed_m_per_min
    for i in order:
        d = arrays.distance[i]
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(float(demand.lon[i]), 6),
                                                                                          round(float(demand.lat[i]), 6)]},
                         "properties": {"layer": "demand", "state": str(state[i]), "population": round(float(demand.population[i]), 1),
                                        "minutes": None if not np.isfinite(d) else round(float(d) * minutes_per_m, 1)}})
    visible_sites = set(visible_to(user, "registry.view_site", _sites(arrays.fac_ref)).values_list("pk", flat=True))
    for lon, lat, label, source, ref in zip(arrays.fac_lon, arrays.fac_lat, arrays.fac_label, arrays.fac_source, arrays.fac_ref,
                                            strict=True):
        if source == "site" and int(ref) not in visible_sites:
            label = ""  # a facility of a neighbouring area counts, but its name is not this user's to see
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(float(lon), 6), round(float(lat), 6)]},
                         "properties": {"layer": "facility", "source": str(source), "name": str(label)}})
    for site in proposed_list(scenario=scenario):
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(site.longitude, 6), round(site.latitude, 6)]},
                         "properties": {"layer": "proposed", "order": site.order, "name": site.label,
                                        "gain": None if site.gain is None else round(site.gain),
                                        "walk_saved_km": None if site.walk_saved_m is None else round(site.walk_saved_person_km, 1)}})
    return {"type": "FeatureCollection", "features": features,
            "properties": {"threshold_m": round(threshold), "minutes": scenario.minutes, "points": len(demand.lon),
                           "shown": len(order)}}


def refused_rooms(*, scenario: Scenario) -> list[dict]:
    """The idle rooms a siting left out because they cannot hold the facility, each with why in words."""
    from .labels import room_refusal

    requirement = (scenario.solution or {}).get("room_requirement")
    if not requirement:
        return []
    return [{**room, "why": "；".join(room_refusal(code, requirement) for code in room["reasons"])}
            for room in scenario.solution.get("refused_rooms", [])]


def refusal_summary(*, scenario: Scenario) -> str:
    """How many idle rooms a siting left out because they cannot hold the facility, by reason, in words."""
    from .labels import refusal_summary as sentence

    solution = scenario.solution or {}
    return sentence(solution["refused_rooms"], solution["room_requirement"]) if solution.get("candidates_refused") else ""


def facilities_off_network(*, user, scenario: Scenario) -> list[dict]:
    """The facilities the analysis left out for lying too far from any walkable way, for the
    planner to correct; a site outside the user's reach keeps its place but not its name, as on
    the map."""
    rows = [dict(row) for row in scenario.off_network]
    refs = [row["ref"] for row in rows if row["source"] == "site" and row["ref"]]
    visible = set(visible_to(user, "registry.view_site", _sites(refs)).values_list("pk", flat=True)) if refs else set()
    for row in rows:
        row["hidden"] = row["source"] == "site" and row["ref"] not in visible
        if row["hidden"]:
            row["name"] = ""
    return rows


def _sites(refs):
    from registry.models import Site

    return Site.objects.filter(pk__in=[int(r) for r in refs if r])


def network_geojson(*, network: Network, bbox: tuple[float, float, float, float] | None = None) -> dict:
    """The network's ways (those with an end inside ``bbox`` when given) as one MultiLineString, or
    nothing when there are too many to draw."""
    graph: Graph = network_graph(network)
    rows = np.repeat(np.arange(graph.node_count), np.diff(graph.indptr))
    cols = graph.indices
    keep = rows < cols
    if bbox is not None:
        west, south, east, north = bbox
        inside = (graph.lon >= west) & (graph.lon <= east) & (graph.lat >= south) & (graph.lat <= north)
        keep &= inside[rows] | inside[cols]
    if int(keep.sum()) > MAP_EDGES_MAX:
        return {"type": "FeatureCollection", "features": [], "properties": {"too_large": True}}
    lon, lat = np.round(graph.lon, 6), np.round(graph.lat, 6)
    lines = [[[float(lon[a]), float(lat[a])], [float(lon[b]), float(lat[b])]] for a, b in zip(rows[keep], cols[keep], strict=True)]
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "MultiLineString", "coordinates": lines}, "properties": {"layer": "network"}}]}


def demand_bbox(demand: DemandSet, margin: float = 0.005) -> tuple[float, float, float, float]:
    """The box around the demand's points (kept on the record; its network's when that is all there is)."""
    west, south, east, north = demand.bbox or demand.network.bbox
    return round(west - margin, 6), round(south - margin, 6), round(east + margin, 6), round(north + margin, 6)


def _latest(area: CoverageArea | None, now: str, after: str) -> float | None:
    """A figure with the new sites where the scenario has them, as it is otherwise."""
    if area is None:
        return None
    value = getattr(area, after)
    return value if value is not None else getattr(area, now)


@dataclass
class CompareRow:
    """One area in two scenarios; each side counts its new sites where it has them."""

    division: Division
    a: CoverageArea | None
    b: CoverageArea | None

    @property
    def a_share(self) -> float | None:
        return _latest(self.a, "share", "share_after")

    @property
    def b_share(self) -> float | None:
        return _latest(self.b, "share", "share_after")

    @property
    def a_covered(self) -> float | None:
        return _latest(self.a, "covered", "covered_after")

    @property
    def b_covered(self) -> float | None:
        return _latest(self.b, "covered", "covered_after")

    @property
    def population(self) -> float:
        return (self.a or self.b).population


def scenario_compare(*, a: Scenario, b: Scenario) -> list[CompareRow]:
    """The areas of two scenarios side by side (streets and districts first, then communities)."""
    rows: dict[int, CompareRow] = {}
    for scenario, side in ((a, "a"), (b, "b")):
        for area in scenario_areas(scenario=scenario):
            row = rows.setdefault(area.division_id, CompareRow(division=area.division, a=None, b=None))
            setattr(row, side, area)
    level_order = {DivisionLevel.DISTRICT: 0, DivisionLevel.STREET: 1, DivisionLevel.COMMUNITY: 2}
    return sorted(rows.values(), key=lambda r: (level_order.get(r.division.level, 3), r.division.path))


def proposed_list(*, scenario: Scenario) -> list[ProposedSite]:
    """The proposed sites in order (fetched once: a scenario from ``scenario_get`` has them already)."""
    prefetch_related_objects([scenario], _proposed_sites())
    return list(scenario.proposed_sites.all())
