"""Scenarios: creating, running and computing coverage and siting analyses, saving their results, deleting them."""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from core.errors import ApplicationError, Conflict, ValidationFailed
from org.models import Division, DivisionLevel

from .. import demand as demand_mod
from .. import labels, siting
from .. import network as net
from ..models import (
    MAX_MINUTES,
    MIN_MINUTES,
    CandidateSource,
    CoverageArea,
    DemandSet,
    JobStatus,
    Objective,
    ProposedSite,
    Scenario,
)
from ..progress import progress_clear, progress_set
from .candidates import (
    PointSet,
    candidates_of,
    facilities_of,
    idle_room_candidates,
    uploaded_candidates,
)
from .demand import DemandArrays, demand_arrays
from .files import _removed_on_failure, arrays_bytes, file_delete, network_graph
from .networks import Progress, _detail, _fail, _quiet, _user
from .parameters import FacilityKind, facility_kinds, placing, siting_rule, walk_rule

logger = logging.getLogger(__name__)

MAX_P_MEDIAN_CELLS = 30_000_000
MAX_LISTED_OFF_NETWORK = 500  # facilities too far from the network, listed by name for the planner to fix
MAX_LISTED_REFUSED = 300  # idle rooms that cannot hold the facility, listed for the planner


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
            from ..tasks import scenario_task

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
    content = arrays_bytes(**arrays)
    with _removed_on_failure() as store, transaction.atomic():
        stored = store("scenarios", ".npz", content)
        CoverageArea.objects.bulk_create([CoverageArea(scenario=scenario, **row) for row in rows["areas"]])
        ProposedSite.objects.bulk_create([
            ProposedSite(scenario=scenario, order=p["order"], label=p["label"], longitude=p["lon"], latitude=p["lat"],
                         site_id=p["site_id"], community_id=p["community_id"], gain=p["gain"], walk_saved_m=p["walk_saved_m"])
            for p in result.proposed])
        Scenario.objects.filter(pk=scenario.pk).update(
            status=JobStatus.DONE, file=stored, facility_count=len(result.facilities) - result.facility_snap_dropped,
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
            transaction.on_commit(lambda: file_delete(file))
