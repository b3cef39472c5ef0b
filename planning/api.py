"""API of life-circle planning: /api/v1/planning/... (networks, demand, scenarios, coverage)."""

from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from accounts.permissions import require
from core.api import ERRORS, PageNumber
from core.errors import ValidationFailed
from core.replica import replica_reads
from org.selectors import division_get

from . import selectors, services
from .models import Scenario
from .progress import progress_get
from .schemas import (
    AreaOut,
    CompareOut,
    CoverageOut,
    DemandOut,
    FacilityKindOut,
    GapOut,
    NetworkOut,
    ScenarioIn,
    ScenarioOut,
)

router = Router(tags=["planning"])


def _within(request, code: str | None):
    return division_get(user=request.user, code=code) if code else None


def _with_progress(obj, kind: str):
    obj.progress = progress_get(kind, obj.pk)
    return obj


@router.get("/planning/facility-kinds", response={200: list[FacilityKindOut], **ERRORS},
            summary="Facility kinds of the city's rule pack (what a scenario can analyse)")
def list_facility_kinds(request, within: str):
    division = division_get(user=request.user, code=within)
    require(request.user, "planning.view_scenario", division)
    return [{"code": k.code, "title": k.title, "site_kinds": list(k.site_kinds), "functions": list(k.functions),
             "osm_tags": list(k.osm_tags), "minutes": k.minutes} for k in services.facility_kinds(division).values()]


# Networks.

@router.get("/planning/networks", response=list[NetworkOut], summary="Walking networks serving my areas")
@replica_reads
@paginate(PageNumber)
def list_networks(request, within: str | None = Query(None, description="Division code")):
    return selectors.network_list(user=request.user, within=_within(request, within))


@router.post("/planning/networks", response={202: NetworkOut, **ERRORS},
             summary="Import an OpenStreetMap PBF extract as a walking network (background job)")
def import_network(request, division: Form[str], file: File[UploadedFile], name: Form[str] = ""):
    area = division_get(user=request.user, code=division)
    require(request.user, "planning.add_network", area)
    return Status(202, services.network_import_start(actor=request.user, division=area, name=name, upload=file))


@router.get("/planning/networks/{network_id}", response={200: NetworkOut, **ERRORS}, summary="A network and its import's progress")
def get_network(request, network_id: int):
    return _with_progress(selectors.network_get(user=request.user, pk=network_id), "network")


@router.get("/planning/networks/{network_id}/map", response={200: dict, **ERRORS}, url_name="planning_network_map",
            summary="The network's ways as GeoJSON")
def network_map(request, network_id: int,
                bbox: str | None = Query(None, description="west,south,east,north: only the ways of this box")):
    box = None
    if bbox:
        try:
            box = tuple(float(v) for v in bbox.split(","))
        except ValueError:
            box = ()
        if len(box) != 4:
            raise ValidationFailed(fields={"bbox": [_("Give the box as west,south,east,north.")]})
    return selectors.network_geojson(network=selectors.network_get(user=request.user, pk=network_id), bbox=box)


# Demand.

@router.get("/planning/demand", response=list[DemandOut], summary="Demand sets of my areas")
@replica_reads
@paginate(PageNumber)
def list_demand(request, within: str | None = Query(None, description="Division code")):
    return selectors.demand_list(user=request.user, within=_within(request, within))


@router.post("/planning/demand", response={201: DemandOut, **ERRORS},
             summary="Place an area's people on a network: from communities, buildings, or an uploaded CSV/GeoJSON")
def create_demand(request, division: Form[str], network_id: Form[int], source: Form[str], name: Form[str] = "",
                  file: UploadedFile | None = File(None)):
    area = division_get(user=request.user, code=division)
    require(request.user, "planning.add_demandset", area)
    network = selectors.network_get(user=request.user, pk=network_id)
    return Status(201, services.demand_create(actor=request.user, division=area, network=network, name=name, source=source,
                                              upload=file))


@router.get("/planning/demand/{demand_id}", response={200: DemandOut, **ERRORS}, summary="A demand set, with its dropped points")
def get_demand(request, demand_id: int):
    return selectors.demand_get(user=request.user, pk=demand_id)


# Scenarios.

@router.get("/planning/scenarios", response=list[ScenarioOut], summary="Scenarios of my areas")
@replica_reads
@paginate(PageNumber)
def list_scenarios(request, within: str | None = Query(None, description="Division code"), facility_kind: str | None = None):
    return selectors.scenario_list(user=request.user, within=_within(request, within), facility_kind=facility_kind).prefetch_related(
        "proposed_sites__community")


@router.post("/planning/scenarios", response={202: ScenarioOut, **ERRORS},
             summary="Analyse coverage, or site new facilities (maximal or set covering, p-median): a background job")
def create_scenario(request, payload: ScenarioIn):
    demand = selectors.demand_get(user=request.user, pk=payload.demand_id)
    require(request.user, "planning.add_scenario", demand.division)
    data = payload.dict()
    data["candidate_source"] = data["candidate_source"] or ""
    scenario = services.scenario_create(actor=request.user, demand=demand, **{k: v for k, v in data.items() if k != "demand_id"})
    return Status(202, _with_progress(_scenario(request, scenario.pk), "scenario"))


def _scenario(request, scenario_id: int) -> Scenario:
    return selectors.scenario_get(user=request.user, pk=scenario_id)


def _done(scenario: Scenario) -> Scenario:
    if scenario.status != "done":
        raise ValidationFailed(_("The scenario has no results yet (%(status)s).") % {"status": scenario.get_status_display()},
                               code="not_ready")
    return scenario


@router.get("/planning/scenarios/{scenario_id}", response={200: ScenarioOut, **ERRORS}, summary="A scenario and its solution")
def get_scenario(request, scenario_id: int):
    return _with_progress(_scenario(request, scenario_id), "scenario")


@router.delete("/planning/scenarios/{scenario_id}", response={204: None, **ERRORS}, summary="Remove a scenario")
def delete_scenario(request, scenario_id: int):
    scenario = _scenario(request, scenario_id)
    require(request.user, "planning.delete_scenario", scenario)
    services.scenario_delete(actor=request.user, scenario=scenario)
    return Status(204, None)


@router.get("/planning/scenarios/{scenario_id}/areas", response={200: list[AreaOut], **ERRORS},
            summary="Coverage by district, street and community")
def scenario_areas(request, scenario_id: int, level: str | None = Query(None, description="district, street or community")):
    return selectors.scenario_areas(scenario=_done(_scenario(request, scenario_id)), level=level)


@router.get("/planning/scenarios/{scenario_id}/gaps", response={200: list[GapOut], **ERRORS},
            summary="Communities with people beyond the threshold, most first")
def scenario_gaps(request, scenario_id: int):
    return [{"code": r.community.code, "community": r.community.name, "population": r.population, "uncovered": r.uncovered,
             "uncovered_after": r.uncovered_after, "mean_distance_m": r.mean_distance_m}
            for r in selectors.gap_list(scenario=_done(_scenario(request, scenario_id)))]


@router.get("/planning/scenarios/{scenario_id}/map", response={200: dict, **ERRORS}, url_name="planning_scenario_map",
            summary="Demand (covered, uncovered, newly covered), facilities and proposed sites as GeoJSON")
def scenario_map(request, scenario_id: int):
    return selectors.scenario_geojson(user=request.user, scenario=_done(_scenario(request, scenario_id)))


@router.get("/planning/scenarios/{scenario_id}/compare/{other_id}", response={200: list[CompareOut], **ERRORS},
            summary="Two scenarios' coverage side by side, area by area")
def compare_scenarios(request, scenario_id: int, other_id: int):
    a, b = _done(_scenario(request, scenario_id)), _done(_scenario(request, other_id))
    return [_compare_row(row) for row in selectors.scenario_compare(a=a, b=b)]


def _compare_row(row) -> dict:
    return {"code": row.division.code, "name": row.division.name, "level": row.division.level, "a_share": row.a_share,
            "b_share": row.b_share, "a_covered": row.a_covered, "b_covered": row.b_covered, "population": row.population}


@router.get("/planning/coverage", response=list[CoverageOut], summary="Coverage rows of my divisions (community workers too)")
@replica_reads
@paginate(PageNumber)
def list_coverage(request, within: str | None = Query(None, description="Division code")):
    return selectors.coverage_list(user=request.user, within=_within(request, within))
