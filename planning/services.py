"""Writing life-circle plans: importing networks, building demand, running and saving scenarios.

Every heavy step works on arrays (``planning.network``, ``planning.demand``, ``planning.siting``)
and writes to the database only at the end, in one transaction, so a failure leaves nothing
half-saved: a network import or a scenario that fails is marked failed with its reason and has
no results. Network imports and scenarios run in the task worker (``planning.tasks``); the CLI
runs the same functions in the foreground with progress printed.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from core.errors import ApplicationError, Conflict, ValidationFailed
from org.models import Division, DivisionLevel
from rulepack.selectors import default_pack_rules, rule, rules_for

from . import demand as demand_mod
from . import labels, siting
from . import network as net
from .models import (
    MAX_MINUTES,
    MIN_MINUTES,
    CandidateSource,
    CoverageArea,
    DemandSet,
    DemandSource,
    JobStatus,
    Network,
    NetworkSource,
    Objective,
    ProposedSite,
    Scenario,
)
from .progress import progress_clear, progress_set
from .rules import FACILITY_PREFIX

logger = logging.getLogger(__name__)

MAX_PBF_BYTES = 512 * 1024 * 1024
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_P_MEDIAN_CELLS = 30_000_000
MAX_LISTED_OFF_NETWORK = 500  # facilities too far from the network, listed by name for the planner to fix
Progress = Callable[[str, int], None]


def _quiet(stage: str, percent: int) -> None:
    return None


# Rules from the pack --------------------------------------------------------------------------

def _rule_params(division: Division, key: str) -> dict:
    """The parameters of the city's rule ``key``; a pack loaded before the rule (or one of the
    parameters its kind requires) existed is told to load a newer pack."""
    from rulepack.kinds import RULE_KINDS

    found = rule(division=division, key=key)
    if found is None:
        raise Conflict(_("The city's rule pack has no %(key)s rule; load a newer pack.") % {"key": key}, code="rule_missing")
    kind = RULE_KINDS.get(found.kind)
    missing = [name for name, spec in (kind.params.items() if kind else ()) if spec.required and name not in found.params]
    if missing:
        raise Conflict(_("The city's rule pack's %(key)s rule has no %(params)s; load a newer pack.")
                       % {"key": key, "params": ", ".join(missing)}, code="rule_missing")
    return found.params


def pack_parameter(division: Division, key: str):
    """The value of the city's ``parameter`` rule ``key`` (no default here: the pack says it)."""
    return _rule_params(division, key)["value"]


def walk_rule(division: Division) -> dict:
    return _rule_params(division, "planning.walk")


def placing(division: Division) -> dict:
    """How far from the network's ways a home or facility may lie (``snap_max_m``), and within what
    distance of its main part one nearer to a detached part still joins it (``join_main_within_m``;
    a pack loaded before that parameter is read with the default pack's)."""
    walk = walk_rule(division)
    join = walk.get("join_main_within_m")
    if join is None:
        join = next(r["params"]["join_main_within_m"] for r in default_pack_rules(kind="life_circle_walk"))
    return {"snap_max_m": float(walk["snap_max_m"]), "join_main_within_m": float(join)}


def demand_rule(division: Division) -> dict:
    return _rule_params(division, "planning.demand")


def siting_rule(division: Division) -> dict:
    return _rule_params(division, "planning.siting")


@dataclass(frozen=True)
class FacilityKind:
    code: str
    title: str
    site_kinds: tuple[str, ...]
    functions: tuple[str, ...]
    osm_tags: tuple[str, ...]
    minutes: float


def facility_kinds(division: Division) -> dict[str, FacilityKind]:
    """The facility kinds of the division's city, from its pack, in the pack's order; a kind that
    names no minutes has the walking rule's."""
    kinds = {}
    found_kinds = rules_for(division=division, module="planning", kind="life_circle_facility")
    default_minutes = walk_rule(division)["minutes"] if any("minutes" not in f.params for f in found_kinds) else None
    for found in found_kinds:
        code = found.key.removeprefix(FACILITY_PREFIX)
        p = found.params
        kinds[code] = FacilityKind(code=code, title=found.title, site_kinds=tuple(p.get("site_kinds", [])),
                                   functions=tuple(p.get("functions", [])), osm_tags=tuple(p.get("osm_tags", [])),
                                   minutes=float(p.get("minutes", default_minutes)))
    return kinds


@dataclass(frozen=True)
class RoomRequirement:
    """What an idle room needs to hold one kind of facility: the pack's ``life_circle_room`` rule
    for it, with the document it cites."""

    title: str
    source: str
    note: str
    min_m2: float
    min_floor: int | None
    max_floor: int | None
    functions: tuple[str, ...]

    def refusals(self, *, area: float, floor: int, functions: set[str]) -> list[str]:
        """Why a room of this area, floor and functions cannot hold the facility ("area", "floor",
        "function"); empty when it can."""
        reasons = []
        if area < self.min_m2:
            reasons.append("area")
        if (self.min_floor is not None and floor < self.min_floor) or (self.max_floor is not None and floor > self.max_floor):
            reasons.append("floor")
        if self.functions and not functions & set(self.functions):
            reasons.append("function")
        return reasons


def room_requirement(division: Division, facility: str) -> RoomRequirement | None:
    """The city's rule for rooms that can hold ``facility`` (None: the pack sets none). A pack
    loaded before such rules existed is read with the default pack's."""
    found = rules_for(division=division, module="planning", kind="life_circle_room")
    rows = ([{"title": r.title, "params": r.params, "source_title": r.source.title, "note": r.note} for r in found]
            if found else default_pack_rules(kind="life_circle_room"))
    for row in rows:
        p = row["params"]
        if p.get("facility") == facility:
            return RoomRequirement(title=row["title"], source=row["source_title"], note=row.get("note", ""),
                                   min_m2=float(p["min_m2"]), min_floor=p.get("min_floor"), max_floor=p.get("max_floor"),
                                   functions=tuple(p.get("functions", ())))
    return None


def all_osm_tags(division: Division) -> dict[str, list[str]]:
    return {code: list(kind.osm_tags) for code, kind in facility_kinds(division).items() if kind.osm_tags}


# Files beside the database ---------------------------------------------------------------------

def media_path(relative: str) -> Path:
    return Path(settings.MEDIA_ROOT) / relative


def _new_file(folder: str, suffix: str) -> str:
    return f"planning/{folder}/{uuid.uuid4().hex}{suffix}"


def file_name(name: str | None) -> str:
    """The name of an uploaded file without the folders it came from on the uploader's computer
    (``C:\\Users\\wang\\人口.csv`` or ``/home/wang/人口.csv`` → ``人口.csv``): a record keeps
    which file it came from, never where that file lay."""
    return re.split(r"[\\/]", name or "")[-1].strip()[:200]


@contextmanager
def _removed_on_failure(path: Path):
    """A file is written for rows saved in this block: if writing or saving fails (the commit
    too, when the block holds the transaction), the file goes, so no failure leaves one behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield path
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def network_graph(network: Network) -> net.Graph:
    if not network.is_ready:
        raise Conflict(_("The walking network %(name)s is not ready yet.") % {"name": network.name}, code="network_not_ready")
    path = media_path(network.file)
    if not path.exists():
        raise Conflict(_("The arrays file of the network %(name)s is missing; import it again.") % {"name": network.name},
                       code="network_file_missing")
    return net.load(path, network.sha256)


# Networks ---------------------------------------------------------------------------------------

def _check_area(division: Division) -> None:
    if division.level not in (DivisionLevel.CITY, DivisionLevel.DISTRICT, DivisionLevel.STREET):
        raise ValidationFailed(fields={"division": [_("A walking network belongs to a city, a district or a street.")]})


def check_pbf(name: str, size: int, head: bytes) -> None:
    if size > MAX_PBF_BYTES:
        raise ValidationFailed(fields={"file": [_("The file is larger than 512 MB; cut the extract to the city first.")]})
    if size == 0:
        raise ValidationFailed(fields={"file": [_("The file is empty.")]})
    if b"OSMHeader" not in head[:64]:
        raise ValidationFailed(fields={"file": [_("This is not an OpenStreetMap PBF file (*.osm.pbf).")]})


def network_import_start(*, actor, division: Division, name: str, upload) -> Network:
    """Store an uploaded PBF extract and queue its import; the network is usable once it is done."""
    _check_area(division)
    head = upload.read(64)
    upload.seek(0)
    check_pbf(upload.name, upload.size, head)
    walk_rule(division)
    relative = _new_file("uploads", ".osm.pbf")
    source_file = file_name(upload.name)
    from .tasks import network_import_task

    with _removed_on_failure(media_path(relative)) as path, transaction.atomic():
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        network = Network.objects.create(division=division, name=(name or source_file)[:120].strip() or source_file[:120],
                                         source=NetworkSource.OSM, source_file=source_file, created_by=_user(actor))
        audit_record(actor=actor, action="planning.network.import_queued", target=network, division=division,
                     changes={"file": source_file, "bytes": upload.size})
        transaction.on_commit(lambda: network_import_task.enqueue(network.pk, relative))
    return network


def network_import_file(*, actor, division: Division, name: str, path: str, progress: Progress = _quiet) -> Network:
    """Import a PBF file from disk at once (the CLI and tests); raises on a bad file, saving nothing."""
    _check_area(division)
    with open(path, "rb") as stream:
        head = stream.read(64)
    check_pbf(path, Path(path).stat().st_size, head)
    extract = _read_extract(division, path, progress)
    return _network_save(actor=actor, division=division, name=name or file_name(path), source=NetworkSource.OSM,
                         source_file=file_name(path), graph=extract.graph, dropped=extract.dropped)


def _read_extract(division: Division, path: str, progress: Progress):
    from .osm import read_pbf

    walk_rule(division)
    return read_pbf(path, building_tags=list(demand_rule(division)["building_tags"]), poi_tags=all_osm_tags(division),
                    progress=progress)


def network_import_run(*, network_id: int, upload: str, progress: Progress = _quiet) -> Network:
    """Run a queued import (the task worker): the network is done with its arrays, or failed with a reason."""
    network = Network.objects.select_related("division").get(pk=network_id)
    if network.status != JobStatus.QUEUED:
        return network
    Network.objects.filter(pk=network.pk).update(status=JobStatus.RUNNING)
    path = media_path(upload)
    try:
        extract = _read_extract(network.division, str(path), progress)
        _network_store(network, extract.graph, extract.dropped)
    except ApplicationError as error:
        _fail(Network, network.pk, error.fields.get("file", [error.message])[0] if error.fields else error.message)
    except Exception as error:
        logger.exception("Network import %s failed", network.pk)
        _fail(Network, network.pk, gettext("The import failed unexpectedly and nothing was saved (%(error)s).") % {"error": _detail(error)})
    finally:
        path.unlink(missing_ok=True)
    network.refresh_from_db()
    return network


def _detail(error: Exception) -> str:
    """An unexpected error's own words, to go in brackets after a sentence in the user's language."""
    return (str(error) or type(error).__name__)[:300]


def _fail(model, pk: int, message) -> None:
    model.objects.filter(pk=pk).update(status=JobStatus.FAILED, error=str(message)[:2000], finished_at=timezone.now())


def network_generate(*, actor, division: Division, name: str, graph: net.Graph) -> Network:
    """Save a network built in code (the demo city's, a synthetic grid)."""
    _check_area(division)
    return _network_save(actor=actor, division=division, name=name, source=NetworkSource.GENERATED, source_file="", graph=graph,
                         dropped={})


def _network_save(*, actor, division, name, source, source_file, graph, dropped) -> Network:
    relative = _new_file("networks", ".npz")
    with _removed_on_failure(media_path(relative)), transaction.atomic():
        network = Network.objects.create(division=division, name=name[:120], source=source, source_file=source_file[:200],
                                         created_by=_user(actor), status=JobStatus.RUNNING)
        _network_store(network, graph, dropped, actor=actor, relative=relative)
    network.refresh_from_db()
    return network


def _network_store(network: Network, graph: net.Graph, dropped: dict, actor=None, relative: str | None = None) -> None:
    """Write the network's arrays and mark it done with its audit row, or neither."""
    relative = relative or _new_file("networks", ".npz")
    with _removed_on_failure(media_path(relative)) as path, transaction.atomic():
        sha = net.save(graph, path)
        west, south, east, north = graph.bbox()
        Network.objects.filter(pk=network.pk).update(
            status=JobStatus.DONE, file=relative, sha256=sha, node_count=graph.node_count, edge_count=graph.edge_count,
            length_km=round(graph.total_length_m() / 1000, 2), building_count=len(graph.extra.get("building_lon", [])),
            poi_count=len(graph.extra.get("poi_lon", [])), bbox=[round(v, 6) for v in (west, south, east, north)],
            dropped=dropped, finished_at=timezone.now(), error="")
        audit_record(actor=actor or network.created_by or "planning", action="planning.network.imported", target=network,
                     division=network.division, changes={"nodes": graph.node_count, "edges": graph.edge_count, **dropped})


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


# Demand -------------------------------------------------------------------------------------------

def _check_within(division: Division, network: Network) -> None:
    if not division.path.startswith(network.division.path):
        raise ValidationFailed(fields={"division": [_("The area must lie within the network's area (%(name)s).")
                                                    % {"name": network.division.name}]})


def demand_create(*, actor, division: Division, network: Network, name: str, source: str, upload=None,
                  progress: Progress = _quiet) -> DemandSet:
    """Where the area's people live, as points snapped to the network; far-off points are dropped and listed."""
    if source not in DemandSource.values:
        raise ValidationFailed(fields={"source": [_("Unknown source of demand.")]})
    _check_within(division, network)
    graph = network_graph(network)
    walk, rules = walk_rule(division), demand_rule(division)
    communities = list(Division.objects.subtree(division).communities().only(
        "id", "name", "path", "population", "households", "boundary", "latitude", "longitude"))
    progress("points", 10)
    if source == DemandSource.COMMUNITIES:
        points = demand_mod.from_communities(
            communities, float(rules["spacing_m"]), max_points=int(rules["max_points_per_community"]),
            persons_per_household=float(pack_parameter(division, "planning.persons_per_household")))
        if not len(points.lon):
            raise ValidationFailed(fields={"source": [_("No community of the area has a population (or households) and a "
                                                        "location.")]})
    elif source == DemandSource.BUILDINGS:
        points = demand_mod.from_buildings(graph, persons_per_m2=float(rules["persons_per_m2"]),
                                           default_levels=int(rules["default_levels"]))
        if not len(points.lon):
            raise ValidationFailed(fields={"source": [_("The network's extract has no residential buildings.")]})
    else:
        if upload is None:
            raise ValidationFailed(fields={"file": [_("Choose a CSV or GeoJSON file of points.")]})
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationFailed(fields={"file": [_("The file is larger than 50 MB.")]})
        points = demand_mod.parse_upload(upload.name, upload.read())
    progress("snapping", 50)
    place = placing(division)
    placed = demand_mod.place(points, graph, communities, **place,
                              keep_outside=source == DemandSource.UPLOAD and not any(c.boundary for c in communities))
    if not len(placed.lon):
        raise ValidationFailed(_("No point lies within %(m)s m of the walking network and inside the area; nothing was saved.")
                               % {"m": walk["snap_max_m"]}, fields={"source": [_("No usable demand point.")]})
    params = {"snap_max_m": walk["snap_max_m"], "join_main_within_m": place["join_main_within_m"],
              **({k: rules[k] for k in ("persons_per_m2", "default_levels")} if source == DemandSource.BUILDINGS else {}),
              **({"spacing_m": rules["spacing_m"]} if source == DemandSource.COMMUNITIES else {}),
              **points.notes,
              **({"file": file_name(upload.name)} if upload is not None else {})}
    relative = _new_file("demand", ".npz")
    with _removed_on_failure(media_path(relative)) as path, transaction.atomic():
        np.savez_compressed(path, lon=placed.lon, lat=placed.lat, population=placed.population, node=placed.node,
                            snap_m=placed.snap_m, community=placed.community)
        demand = DemandSet.objects.create(
            division=division, network=network, name=(name or str(DemandSource(source).label))[:120], source=source,
            params=params, file=relative, sha256=hashlib.sha256(path.read_bytes()).hexdigest(), point_count=len(placed.lon),
            population=float(placed.population.sum()),
            bbox=[round(float(v), 6) for v in (placed.lon.min(), placed.lat.min(), placed.lon.max(), placed.lat.max())],
            dropped_count=len(points.lon) - len(placed.lon), dropped_population=placed.dropped_population,
            dropped=placed.dropped, created_by=_user(actor))
        audit_record(actor=actor, action="planning.demand.created", target=demand, division=division,
                     changes={"source": source, "points": demand.point_count, "population": round(demand.population),
                              "dropped": demand.dropped_count})
    progress("done", 100)
    return demand


@dataclass
class DemandArrays:
    lon: np.ndarray
    lat: np.ndarray
    population: np.ndarray
    node: np.ndarray
    snap_m: np.ndarray
    community: np.ndarray


def demand_arrays(demand: DemandSet) -> DemandArrays:
    path = media_path(demand.file)
    if not path.exists():
        raise Conflict(_("The arrays file of the demand set %(name)s is missing; place its people again.") % {"name": demand.name},
                       code="demand_file_missing")
    with np.load(path, allow_pickle=False) as data:
        return DemandArrays(**{name: data[name] for name in ("lon", "lat", "population", "node", "snap_m", "community")})


# Facilities and candidates ---------------------------------------------------------------------

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


MAX_LISTED_REFUSED = 300  # idle rooms that cannot hold the facility, listed for the planner


def idle_room_candidates(division: Division, network: Network, kind: FacilityKind, today: date | None = None) -> PointSet:
    """Sites of the area with a room booked less than the city's idle share (the scheduling pack's,
    the same the utilisation page uses) over the siting rule's ``idle_window_days`` that can hold
    the facility (``room_requirement``: area, floor, functions). Idle rooms that cannot are counted
    and kept with their reasons in ``refused``."""
    from registry.models import Room
    from registry.selectors import room_usage

    today = today or timezone.localdate()
    rooms = list(Room.objects.select_related("site").prefetch_related("functions").filter(
        closed_on__isnull=True, site__closed_on__isnull=True, site__division__path__startswith=division.path,
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


# Scenarios ----------------------------------------------------------------------------------------

def scenario_create(*, actor, demand: DemandSet, name: str, facility_kind: str, objective: str = Objective.COVERAGE,
                    k: int | None = None, candidate_source: str = "", candidates_upload=None, candidates: list[dict] | None = None,
                    minutes: float | None = None,
                    include_osm: bool = True, reachable_only: bool = False, run: bool = False,
                    progress: Progress = _quiet) -> Scenario:
    """Queue (or, with ``run``, compute at once) a coverage analysis, or a siting of new facilities."""
    division = demand.division
    kinds = facility_kinds(division)
    errors: dict[str, list] = {}
    if facility_kind not in kinds:
        errors["facility_kind"] = [_("Unknown facility kind; the city's rule pack lists: %(kinds)s") % {"kinds": ", ".join(kinds)}]
    if objective not in Objective.values:
        errors["objective"] = [_("Unknown objective.")]
    name = (name or "").strip()
    if name and Scenario.objects.filter(division=division, name=name).exists():
        errors["name"] = [_("%(area)s already has a scenario named %(name)s.") % {"area": division.name, "name": name}]
    if minutes is not None and not MIN_MINUTES <= minutes <= MAX_MINUTES:
        errors["minutes"] = [_("The threshold must be between %(min)s and %(max)s minutes.") % {"min": MIN_MINUTES,
                                                                                                 "max": MAX_MINUTES}]
    siting_objective = objective in (Objective.MAX_COVER, Objective.SET_COVER, Objective.P_MEDIAN)
    candidates = [{"lon": float(c["lon"]), "lat": float(c["lat"]),
                   "label": str(c.get("label") or "")[:200] or gettext("Candidate %(n)s") % {"n": i + 1}}
                  for i, c in enumerate(candidates or [])]
    if siting_objective:
        if candidate_source not in CandidateSource.values:
            errors["candidate_source"] = [_("Choose where the candidate sites come from.")]
        if objective != Objective.SET_COVER and (not k or k < 1):
            errors["k"] = [_("Say how many new sites to choose (at least 1).")]
        if candidate_source == CandidateSource.UPLOADED and not candidates:
            if candidates_upload is None:
                errors["file"] = [_("Choose a CSV or GeoJSON file of candidate points.")]
            else:
                candidates = uploaded_candidates(candidates_upload)
    if errors:
        raise ValidationFailed(fields=errors)
    network = demand.network
    if siting_objective and objective != Objective.SET_COVER:
        available = _candidate_count(candidate_source, division, network, kinds[facility_kind], candidates)
        if available == 0:
            raise ValidationFailed(fields={"candidate_source": [_("There is no candidate site to choose from.")]})
        if k > available:
            raise ValidationFailed(fields={"k": [_("Only %(n)s candidate sites are available: k cannot be %(k)s.")
                                                 % {"n": available, "k": k}]})
    kind = kinds[facility_kind]
    walk = walk_rule(division)
    fields = dict(division=division, demand=demand, facility_kind=facility_kind, facility_title=kind.title[:120],
                  minutes=float(minutes or kind.minutes), speed_m_per_min=float(walk["speed_kmh"]) * 1000 / 60,
                  include_osm=include_osm, objective=objective,
                  k=k if siting_objective and objective != Objective.SET_COVER else None,
                  candidate_source=candidate_source if siting_objective else "", candidates=candidates,
                  reachable_only=reachable_only, created_by=_user(actor))
    with transaction.atomic():
        if name:
            try:
                with transaction.atomic():
                    scenario = Scenario.objects.create(name=name[:120], **fields)
            except IntegrityError:  # the same name, saved a moment ago by someone else
                raise ValidationFailed(fields={"name": [_("%(area)s already has a scenario named %(name)s.")
                                                        % {"area": division.name, "name": name}]}) from None
        else:
            scenario = _create_with_default_name(division, kind, objective, fields)
        audit_record(actor=actor, action="planning.scenario.created", target=scenario, division=division,
                     changes={"facility_kind": facility_kind, "objective": objective, "k": scenario.k,
                              "candidates": scenario.candidate_source, "minutes": scenario.minutes})
        if not run:
            from .tasks import scenario_task

            transaction.on_commit(lambda: scenario_task.enqueue(scenario.pk))
    if run:
        scenario = scenario_run(scenario_id=scenario.pk, progress=progress, raise_errors=True)
    return scenario


DEFAULT_NAME_TRIES = 20


def default_name_stem(kind: FacilityKind, objective: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):  # a name everyone reads, in the site's language
        return gettext("%(facility)s · %(objective)s") % {"facility": kind.title, "objective": labels.OBJECTIVE_SHORT[objective]}


def _create_with_default_name(division: Division, kind: FacilityKind, objective: str, fields: dict) -> Scenario:
    """Save a scenario the planner did not name under the facility, the objective and the next number
    of that stem in the area ("老年食堂（15分钟） · 现状（3）"). Two saved at the same moment cannot
    take the same number: the area's unique names refuse the second, which takes the next one."""
    stem = default_name_stem(kind, objective)[:110]
    pattern = re.compile(rf"^{re.escape(stem)}（(\d+)）$")
    taken = [int(m.group(1)) for m in map(pattern.match, Scenario.objects.filter(division=division, name__startswith=stem)
                                          .values_list("name", flat=True)) if m]
    number = max(taken, default=0) + 1
    for _try in range(DEFAULT_NAME_TRIES):
        name = f"{stem}（{number}）"
        try:
            with transaction.atomic():
                return Scenario.objects.create(name=name, **fields)
        except IntegrityError:  # someone saved this number a moment ago
            number += 1
    raise Conflict(_("No free name for the scenario; give it one."), code="name_taken")


def _candidate_count(source, division, network, kind, candidates) -> int:
    """How many candidates there can be, from what the records say (no arrays loaded in the request):
    uploaded points and idle rooms are counted; network points cannot outnumber the network's
    nodes. The task checks the exact number when it computes (``_compute``)."""
    if source == CandidateSource.UPLOADED:
        return len(candidates)
    if source == CandidateSource.IDLE_ROOMS:
        found = idle_room_candidates(division, network, kind)
        if not len(found) and found.refused:
            raise ValidationFailed(fields={"candidate_source": [labels.refusal_summary(found.refused, asdict(found.requirement), none_left=True)]})
        return len(found)
    return network.node_count


def scenario_run(*, scenario_id: int, progress: Progress = _quiet, raise_errors: bool = False) -> Scenario:
    """Compute a queued scenario and save its results in one transaction; on failure mark it failed."""
    scenario = Scenario.objects.select_related("division", "demand__network").get(pk=scenario_id)
    if scenario.status not in (JobStatus.QUEUED,):
        return scenario
    Scenario.objects.filter(pk=scenario.pk).update(status=JobStatus.RUNNING)

    def report(stage: str, percent: int) -> None:
        progress_set("scenario", scenario.pk, stage=stage, percent=percent)
        progress(stage, percent)

    try:
        result = _compute(scenario, report)
        _save_results(scenario, result)
    except ApplicationError as error:
        _fail(Scenario, scenario.pk, error.message if not error.fields else
              f"{error.message} " + " ".join(str(m) for messages in error.fields.values() for m in messages))
        if raise_errors:
            raise
    except Exception as error:
        logger.exception("Scenario %s failed", scenario.pk)
        _fail(Scenario, scenario.pk, gettext("The analysis failed unexpectedly and no results were saved (%(error)s).") % {"error": _detail(error)})
        if raise_errors:
            raise
    finally:
        progress_clear("scenario", scenario.pk)
    scenario.refresh_from_db()
    return scenario


@dataclass
class Result:
    distance: np.ndarray
    distance_after: np.ndarray | None
    facilities: PointSet
    facility_snap_dropped: int
    off_network: list[dict]
    proposed: list[dict]
    solution: dict


def _compute(scenario: Scenario, report: Progress) -> Result:
    demand_set = scenario.demand
    network = demand_set.network
    division = scenario.division
    graph = network_graph(network)
    demand = demand_arrays(demand_set)
    kind = facility_kinds(division).get(scenario.facility_kind)
    if kind is None:
        raise ValidationFailed(fields={"facility_kind": [_("The city's rule pack no longer has this facility kind.")]})
    place = placing(division)
    threshold = scenario.threshold_m
    report("facilities", 5)
    facilities = facilities_of(kind, network, graph, scenario.include_osm)
    fac_node, fac_snap, fac_reason = graph.place(facilities.lon, facilities.lat, **place)
    usable = fac_reason == net.ON_NETWORK
    report("distances", 15)
    node_dist, _nearest = graph.nearest(fac_node[usable], fac_snap[usable])
    distance = demand.snap_m + node_dist[demand.node]
    covered = distance <= threshold
    solution: dict = {"threshold_m": round(threshold, 1), "facilities_off_network": int((~usable).sum())}
    off_network = [{"name": facilities.label[i], "source": facilities.source[i], "ref": facilities.ref[i],
                    "lon": round(float(facilities.lon[i]), 6), "lat": round(float(facilities.lat[i]), 6),
                    "distance_m": round(float(fac_snap[i])), "reason": str(fac_reason[i])}
                   for i in np.flatnonzero(~usable)[:MAX_LISTED_OFF_NETWORK]]
    proposed: list[dict] = []
    distance_after = None
    if scenario.objective != Objective.COVERAGE:
        report("candidates", 25)
        candidates = candidates_of(scenario, graph, demand)
        cand_node, cand_snap, cand_reason = graph.place(candidates.lon, candidates.lat, **place)
        ok = np.flatnonzero(cand_reason == net.ON_NETWORK)
        solution["candidates"] = len(candidates)
        solution["candidates_off_network"] = int(len(candidates) - len(ok))
        if candidates.requirement is not None:
            solution["room_requirement"] = asdict(candidates.requirement)
            solution["candidates_refused"] = len(candidates.refused)
            solution["refused_rooms"] = candidates.refused[:MAX_LISTED_REFUSED]
        if len(ok) == 0:
            raise ValidationFailed(fields={"candidate_source": [_("No candidate site lies near the walking network.")]})
        if scenario.k and scenario.k > len(ok):
            raise ValidationFailed(fields={"k": [_("Only %(n)s candidate sites lie near the walking network: k cannot be %(k)s.")
                                                 % {"n": len(ok), "k": scenario.k}]})
        rules = siting_rule(division)
        time_limit = float(rules["time_limit_s"])
        if scenario.objective == Objective.P_MEDIAN:
            chosen, sol = _p_median(graph, demand, node_dist, cand_node[ok], cand_snap[ok], scenario.k, time_limit, report)
        else:
            chosen, sol = _covering(scenario, graph, demand, covered, cand_node[ok], cand_snap[ok], threshold, time_limit, report)
        solution.update(sol)
        picked = ok[chosen]
        report("after", 90)
        all_nodes = np.concatenate([fac_node[usable], cand_node[picked]])
        all_snap = np.concatenate([fac_snap[usable], cand_snap[picked]])
        after_node_dist, _nearest = graph.nearest(all_nodes, all_snap)
        distance_after = demand.snap_m + after_node_dist[demand.node]
        gains, saved = _site_effects(graph, demand, distance, cand_node[picked], cand_snap[picked], threshold)
        communities = list(Division.objects.subtree(division).communities().only("id", "name", "boundary", "latitude", "longitude"))
        found, _any = demand_mod.community_of(candidates.lon[picked], candidates.lat[picked], communities, graph.projection)
        names = {c.pk: c.name for c in communities}
        for order, (index, gain, walk_saved, where) in enumerate(zip(picked, gains, saved, found, strict=True), start=1):
            community_id = candidates.community[index] or (int(where) if where >= 0 else None)
            label = candidates.label[index]
            if candidates.source[index] == "network" and community_id in names:
                label = f"{names[community_id]} · {label}"
            proposed.append({"order": order, "label": label[:200], "lon": float(candidates.lon[index]),
                             "lat": float(candidates.lat[index]), "site_id": candidates.ref[index],
                             "community_id": community_id, "gain": gain, "walk_saved_m": walk_saved})
    report("saving", 95)
    return Result(distance=distance, distance_after=distance_after, facilities=facilities,
                  facility_snap_dropped=int((~usable).sum()), off_network=off_network, proposed=proposed, solution=solution)


def _site_effects(graph, demand, before: np.ndarray, nodes: np.ndarray, snaps: np.ndarray, threshold: float
                  ) -> tuple[list[float], list[float]]:
    """What each proposed site adds, in the order proposed, over the facilities and the sites before
    it: the people it newly brings within the threshold, and the walking it saves (person-metres:
    each resident's shorter walk to the nearest, times the people) among those who could reach a
    facility before — people who could reach none had no walk to shorten."""
    from scipy.sparse.csgraph import dijkstra

    best = before.copy()
    gains, saved = [], []
    chunk = int(max(1, min(64, 50_000_000 // max(graph.node_count, 1))))
    for start in range(0, len(nodes), chunk):
        block = dijkstra(graph.matrix, directed=True, indices=nodes[start:start + chunk])
        for row, snap in zip(block, snaps[start:start + chunk], strict=True):
            improved = np.minimum(best, demand.snap_m + row[demand.node] + snap)
            gains.append(float(demand.population[(best > threshold) & (improved <= threshold)].sum()))
            reached = np.isfinite(best)
            saved.append(float((demand.population[reached] * (best[reached] - improved[reached])).sum()))
            best = improved
    return gains, saved


def _covering(scenario, graph, demand, covered, cand_node, cand_snap, threshold, time_limit, report):
    open_ = np.flatnonzero(~covered)
    report("coverage_matrix", 35)
    matrix = graph.within(cand_node, cand_snap, threshold, demand.node[open_], demand.snap_m[open_],
                          progress=lambda done, total: report("coverage_matrix", 35 + int(30 * done / max(total, 1))))
    cover = matrix.T.tocsr()
    cover.data[:] = 1.0  # reached or not: the distances only decided which
    weight = demand.population[open_]
    report("solving", 70)
    if scenario.objective == Objective.MAX_COVER:
        result = siting.maximal_covering(cover, weight, scenario.k, time_limit=time_limit)
        unit = "people"
    else:
        reach = np.asarray(cover.getnnz(axis=1)) > 0
        unreachable = float(weight[~reach].sum())
        if unreachable > 0 and not scenario.reachable_only:
            communities = np.unique(demand.community[open_][~reach])
            names = list(Division.objects.filter(pk__in=communities[communities >= 0][:10]).values_list("name", flat=True))
            raise ValidationFailed(
                _("Everyone cannot be covered: %(people)s people (in %(places)s) live more than %(minutes)s minutes' walk "
                  "from every candidate. Add candidates, or cover only the people some candidate can reach.")
                % {"people": f"{unreachable:,.0f}", "places": "、".join(names) or "—", "minutes": f"{scenario.minutes:g}"},
                fields={"reachable_only": [_("The target cannot be reached with these candidates.")]}, code="unreachable_target")
        if not reach.any():
            result = siting.Solution([], 0.0, 0.0, siting.NONE, True, 0.0)
        else:
            result = siting.set_covering(cover[reach], time_limit=time_limit)
        # Report what each chosen site newly covers, in people.
        if result.chosen:
            sub = cover[:, result.chosen]
            order, gains = siting._greedy_cover(sub.tocsr(), sub.T.tocsr(), weight, len(result.chosen))
            result.chosen = [result.chosen[i] for i in order]
            result.gains = gains
        result.details["unreachable"] = unreachable
        unit = "sites"
    return result.chosen, _solution_dict(result, unit)


def _solution_dict(result: siting.Solution, unit: str) -> dict:
    return {"objective": round(result.objective, 3), "bound": round(result.bound, 3), "gap": round(result.gap, 6),
            "method": result.method, "proven_optimal": result.proven_optimal, "seconds": round(result.seconds, 3),
            "unit": unit, "gains": [round(g, 1) for g in result.gains], **{k: v for k, v in result.details.items()}}


def _p_median(graph, demand, node_dist, cand_node, cand_snap, k, time_limit, report):
    from scipy.sparse.csgraph import dijkstra

    nodes, inverse = np.unique(demand.node, return_inverse=True)
    weight = np.bincount(inverse, weights=demand.population)
    if len(nodes) * len(cand_node) > MAX_P_MEDIAN_CELLS:
        raise ValidationFailed(fields={"candidate_source": [
            _("The p-median of %(d)s demand places and %(c)s candidates is too large; use fewer candidates.")
            % {"d": len(nodes), "c": len(cand_node)}]})
    distance = np.empty((len(nodes), len(cand_node)), dtype=np.float64)
    chunk = int(max(1, min(256, 50_000_000 // max(graph.node_count, 1))))
    for start in range(0, len(cand_node), chunk):
        block = dijkstra(graph.matrix, directed=True, indices=cand_node[start:start + chunk])
        distance[:, start:start + chunk] = (block[:, nodes] + cand_snap[start:start + chunk, None]).T
        report("candidate_distances", 35 + int(30 * min(start + chunk, len(cand_node)) / len(cand_node)))
    report("solving", 70)
    result = siting.p_median(distance, weight, node_dist[nodes], k, time_limit=time_limit)
    total = float(demand.population.sum()) or 1.0
    sol = _solution_dict(result, "person_metres")
    sol["mean_objective_m"] = round((result.objective + float(demand.population @ demand.snap_m)) / total, 1)
    return result.chosen, sol


def _save_results(scenario: Scenario, result: Result) -> None:
    demand = demand_arrays(scenario.demand)
    threshold = scenario.threshold_m
    arrays = {"distance": result.distance, "fac_lon": result.facilities.lon, "fac_lat": result.facilities.lat,
              "fac_label": np.array(result.facilities.label, dtype="<U120"), "fac_source": np.array(result.facilities.source, dtype="<U8"),
              "fac_ref": np.array([r or 0 for r in result.facilities.ref], dtype=np.int64)}
    if result.distance_after is not None:
        arrays["distance_after"] = result.distance_after
    rows = _area_rows(scenario, demand, result.distance, result.distance_after, threshold)
    population = float(demand.population.sum())
    covered = float(demand.population[result.distance <= threshold].sum())
    mean = _mean_walk(result.distance, demand.population)
    after_cov = after_mean = None
    if result.distance_after is not None:
        after_cov = float(demand.population[result.distance_after <= threshold].sum())
        after_mean = _mean_walk(result.distance_after, demand.population)
    relative = _new_file("scenarios", ".npz")
    with _removed_on_failure(media_path(relative)) as path, transaction.atomic():
        np.savez_compressed(path, **arrays)
        CoverageArea.objects.bulk_create([CoverageArea(scenario=scenario, **row) for row in rows["areas"]])
        ProposedSite.objects.bulk_create([
            ProposedSite(scenario=scenario, order=p["order"], label=p["label"], longitude=p["lon"], latitude=p["lat"],
                         site_id=p["site_id"], community_id=p["community_id"], gain=p["gain"], walk_saved_m=p["walk_saved_m"])
            for p in result.proposed])
        Scenario.objects.filter(pk=scenario.pk).update(
            status=JobStatus.DONE, file=relative, facility_count=len(result.facilities) - result.facility_snap_dropped,
            off_network=result.off_network,
            population=population, covered=covered, covered_after=after_cov, mean_distance_m=mean, mean_distance_after_m=after_mean,
            solution=result.solution, by_type=rows["by_type"], finished_at=timezone.now(), error="")
        audit_record(actor=scenario.created_by or "planning", action="planning.scenario.computed", target=scenario,
                     division=scenario.division,
                     changes={"population": round(population), "covered": round(covered),
                              "covered_after": None if after_cov is None else round(after_cov),
                              "proposed": len(result.proposed), "method": result.solution.get("method")})


def _mean_walk(distance: np.ndarray, population: np.ndarray) -> float | None:
    """The people-weighted mean walk to the nearest facility, of those who can reach one."""
    reach = np.isfinite(distance)
    people = float(population[reach].sum())
    return float((distance[reach] * population[reach]).sum() / people) if people else None


def _area_rows(scenario: Scenario, demand: DemandArrays, distance: np.ndarray, distance_after, threshold: float) -> dict:
    """Coverage per community, street and district of the scenario's area, and per community type."""
    area = scenario.division
    communities = {c.pk: c for c in Division.objects.subtree(area).communities().select_related("parent__parent")}
    pop = demand.population
    hit = distance <= threshold
    hit_after = distance_after <= threshold if distance_after is not None else None
    totals: dict[int, dict] = {}
    by_type: dict[str, list[float]] = {}

    def add(division: Division, mask):
        row = totals.setdefault(division.pk, {"division": division, "level": division.level, "population": 0.0, "covered": 0.0,
                                              "covered_after": 0.0 if hit_after is not None else None, "_dist": 0.0, "_reach": 0.0})
        people = pop[mask]
        row["population"] += float(people.sum())
        row["covered"] += float(people[hit[mask]].sum())
        if hit_after is not None:
            row["covered_after"] += float(people[hit_after[mask]].sum())
        d = distance[mask]
        finite = np.isfinite(d)
        row["_dist"] += float((d[finite] * people[finite]).sum())
        row["_reach"] += float(people[finite].sum())

    order = np.argsort(demand.community, kind="stable")
    ids, starts = np.unique(demand.community[order], return_index=True)
    bounds = list(starts) + [len(order)]
    for position, community_id in enumerate(ids):
        community = communities.get(int(community_id))
        if community is None:
            continue
        mask = order[bounds[position]:bounds[position + 1]]
        for division in (community, community.parent, community.parent.parent if community.parent else None):
            if division is not None and division.path.startswith(area.path) and division.level in (
                    DivisionLevel.COMMUNITY, DivisionLevel.STREET, DivisionLevel.DISTRICT):
                add(division, mask)
        kind = community.community_type or "unknown"
        entry = by_type.setdefault(kind, [0.0, 0.0, 0.0, 0])
        entry[0] += float(pop[mask].sum())
        entry[1] += float(pop[mask][hit[mask]].sum())
        if hit_after is not None:
            entry[2] += float(pop[mask][hit_after[mask]].sum())
        entry[3] += 1
    areas = []
    for row in totals.values():
        reach = row.pop("_reach")
        total_distance = row.pop("_dist")
        row["mean_distance_m"] = total_distance / reach if reach else None
        areas.append(row)
    from org.models import CommunityType

    labels = dict(CommunityType.choices)
    types = [{"type": kind, "label": str(labels.get(kind, _("not set"))), "population": round(v[0], 1), "covered": round(v[1], 1),
              "covered_after": round(v[2], 1) if hit_after is not None else None, "communities": v[3],
              "share": round(v[1] / v[0], 4) if v[0] else None}
             for kind, v in sorted(by_type.items())]
    return {"areas": areas, "by_type": types}


def scenario_delete(*, actor, scenario: Scenario) -> None:
    """Remove a scenario (its results file too); the audit trail keeps that it existed."""
    with transaction.atomic():
        audit_record(actor=actor, action="planning.scenario.deleted", target=scenario, division=scenario.division,
                     changes={"name": scenario.name})
        file = scenario.file
        scenario.delete()
        if file:
            transaction.on_commit(lambda: media_path(file).unlink(missing_ok=True))

