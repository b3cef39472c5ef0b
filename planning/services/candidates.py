"""Facilities of a kind on the network, and candidate sites for new ones: idle rooms that can hold it, network points, uploaded points."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import ValidationFailed
from org.models import Division

from .. import demand as demand_mod
from .. import network as net
from ..models import CandidateSource, Network, Scenario
from .demand import MAX_UPLOAD_BYTES, DemandArrays
from .parameters import (
    FacilityKind,
    RoomRequirement,
    facility_kinds,
    pack_parameter,
    room_requirement,
    siting_rule,
)


@dataclass
class PointSet:
    lon: np.ndarray
    lat: np.ndarray
    label: list[str]
    source: list[str]  # "site" / "osm" / "room" / "upload" / "network"
    ref: list[int | None]  # Site pk where there is one
    community: list[int | None]
    # Idle rooms that cannot hold the facility (``RoomRequirement.refusals``): site, room, area,
    # floor, function codes and the reasons' codes.
    refused: list[dict] = field(default_factory=list)
    requirement: RoomRequirement | None = None

    def __len__(self):
        return len(self.lon)


def _points(rows: list[tuple]) -> PointSet:
    return PointSet(lon=np.array([r[0] for r in rows], dtype=float), lat=np.array([r[1] for r in rows], dtype=float),
                    label=[r[2] for r in rows], source=[r[3] for r in rows], ref=[r[4] for r in rows],
                    community=[r[5] for r in rows])


def _in_bbox(lon: float, lat: float, bbox: list, margin: float = 0.02) -> bool:
    return bool(bbox) and bbox[0] - margin <= lon <= bbox[2] + margin and bbox[1] - margin <= lat <= bbox[3] + margin


def facilities_of(kind: FacilityKind, network: Network, graph: net.Graph, include_osm: bool) -> PointSet:
    """Facilities of a kind on the network: the register's sites of its kinds or with a room of its
    functions (whoever's they are: a canteen across the street border serves this side too), and
    OpenStreetMap features with its tags."""
    from django.db.models import Q

    from registry.models import Site

    query = Q(kind__in=kind.site_kinds)
    if kind.functions:
        query |= Q(rooms__functions__code__in=kind.functions, rooms__closed_on__isnull=True)
    west, south, east, north = network.bbox
    sites = (Site.objects.active().filter(query, latitude__isnull=False, longitude__isnull=False,
                                          latitude__gte=south - 0.02, latitude__lte=north + 0.02,
                                          longitude__gte=west - 0.02, longitude__lte=east + 0.02)
             .distinct().values_list("pk", "name", "longitude", "latitude", "division_id"))
    rows = [(float(lon), float(lat), name, "site", pk, division_id) for pk, name, lon, lat, division_id in sites]
    if include_osm and "poi_kind" in graph.extra:
        match = graph.extra["poi_kind"] == kind.code
        for lon, lat, name in zip(graph.extra["poi_lon"][match], graph.extra["poi_lat"][match], graph.extra["poi_name"][match],
                                  strict=True):
            rows.append((float(lon), float(lat), str(name) or kind.title, "osm", None, None))
    return _points(rows)


def idle_room_candidates(division: Division, network: Network, kind: FacilityKind, today: date | None = None) -> PointSet:
    """Sites of the area with a room booked less than the city's idle share (the scheduling pack's,
    the same the utilisation page uses) over the siting rule's ``idle_window_days`` that can hold
    the facility (``room_requirement``: area, floor, functions). Idle rooms that cannot are counted
    and kept with their reasons in ``refused``."""
    from registry.models import Room
    from registry.selectors import room_usage

    today = today or timezone.localdate()
    rooms = list(Room.objects.own_space_in_use().select_related("site").prefetch_related("functions").filter(
        site__division__path__startswith=division.path,
        site__latitude__isnull=False, site__longitude__isnull=False).order_by("site__code", "name"))
    window = int(siting_rule(division)["idle_window_days"])
    threshold = float(pack_parameter(division, "scheduling.idle_usage_share"))
    requirement = room_requirement(division, kind.code)
    _period, usage = room_usage(rooms, division=division, days=window, today=today)
    by_site: dict[int, tuple] = {}
    refused: list[dict] = []
    for room in rooms:
        found = usage.get(room.pk)
        # A room of a community that records no bookings here counts as unbooked for siting.
        if found is None or found.recorded and (found.rate is None or found.rate >= threshold):
            continue
        site = room.site
        if not _in_bbox(float(site.longitude), float(site.latitude), network.bbox):
            continue
        functions = {f.code for f in room.functions.all()}
        reasons = requirement.refusals(area=float(room.area), floor=room.floor, functions=functions) if requirement else []
        if reasons:
            refused.append({"site": site.name, "room": room.name, "site_id": site.pk, "area": float(room.area),
                            "floor": room.floor, "functions": sorted(functions), "reasons": reasons})
        elif site.pk not in by_site:
            by_site[site.pk] = (float(site.longitude), float(site.latitude), f"{site.name} · {room.name}", "room", site.pk,
                                site.division_id)
    points = _points(list(by_site.values()))
    points.refused, points.requirement = refused, requirement
    return points


def network_candidates(division: Division, graph: net.Graph, demand: DemandArrays, spacing_m: float, max_candidates: int
                       ) -> PointSet:
    """Nodes of the network spread ``spacing_m`` apart over the part of it where the area's people live."""
    xy = graph.projection.xy(graph.lon, graph.lat)
    demand_xy = graph.projection.xy(demand.lon, demand.lat)
    lo, hi = demand_xy.min(axis=0) - spacing_m, demand_xy.max(axis=0) + spacing_m
    inside = np.all((xy >= lo) & (xy <= hi), axis=1)
    nodes = np.flatnonzero(inside)
    step = spacing_m
    while True:
        cells = np.floor(xy[nodes] / step).astype(np.int64)
        _unique, first = np.unique(cells, axis=0, return_index=True)
        if len(first) <= max_candidates:
            break
        step *= 1.25
    chosen = nodes[np.sort(first)]
    return _points([(float(graph.lon[n]), float(graph.lat[n]), gettext("Network point %(n)s") % {"n": i + 1}, "network", None, None)
                    for i, n in enumerate(chosen)])


def uploaded_candidates(upload) -> list[dict]:
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationFailed(fields={"file": [_("The file is larger than 50 MB.")]})
    points = demand_mod.parse_upload(upload.name, upload.read(), need_population=False)
    return [{"lon": float(x), "lat": float(y), "label": label or gettext("Candidate %(n)s") % {"n": i + 1}}
            for i, (x, y, label) in enumerate(zip(points.lon, points.lat, points.label, strict=True))]


def candidates_of(scenario: Scenario, graph: net.Graph, demand: DemandArrays) -> PointSet:
    network = scenario.demand.network
    if scenario.candidate_source == CandidateSource.IDLE_ROOMS:
        kind = facility_kinds(scenario.division)[scenario.facility_kind]
        return idle_room_candidates(scenario.division, network, kind)
    if scenario.candidate_source == CandidateSource.UPLOADED:
        return _points([(c["lon"], c["lat"], c["label"], "upload", None, None) for c in scenario.candidates])
    rules = siting_rule(scenario.division)
    return network_candidates(scenario.division, graph, demand, float(rules["candidate_spacing_m"]), int(rules["max_candidates"]))
