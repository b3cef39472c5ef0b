"""Pages of life-circle planning: an area's networks, demand and scenarios; a scenario's map,
coverage by area and type, gap list and proposal; the comparison of two scenarios."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import holds_any, require
from core.errors import ApplicationError, NotFound
from core.forms import add_error_to_form
from excel.services import excel_export_start
from org.models import DivisionLevel
from org.selectors import division_get, user_home_division

from . import labels, selectors, services
from .forms import DemandForm, NetworkForm, ScenarioForm
from .models import JobStatus
from .progress import progress_get

EXPORTS = ("planning.gaps", "planning.gap_points", "planning.proposal")


def _planner(user) -> bool:
    return holds_any(user, "planning.view_scenario")


@login_required
def home(request):
    home_division = user_home_division(user=request.user)
    if home_division is None or not (_planner(request.user) or holds_any(request.user, "planning.view_coveragearea")):
        raise NotFound()
    return redirect("planning:area", code=home_division.code)


@login_required
def area(request, code: str):
    division = division_get(user=request.user, code=code)
    user = request.user
    if not _planner(user):
        if not holds_any(user, "planning.view_coveragearea"):
            raise NotFound()
        return render(request, "planning/community.html", {
            "division": division, "rows": selectors.coverage_list(user=user, within=division)[:200]})
    may_plan = user.has_perm("planning.add_scenario", division)
    networks = list(selectors.network_list(user=user, within=division)[:50])
    demand_sets = list(selectors.demand_list(user=user, within=division)[:50])
    kinds = list(services.facility_kinds(division).values()) if may_plan else []
    forms = {
        "network": NetworkForm(prefix="network") if user.has_perm("planning.add_network", division)
        and division.level != DivisionLevel.COMMUNITY else None,
        "demand": DemandForm(prefix="demand", networks=[n for n in networks if n.is_ready])
        if user.has_perm("planning.add_demandset", division) and any(n.is_ready for n in networks) else None,
        "scenario": ScenarioForm(prefix="scenario", demand_sets=demand_sets, kinds=kinds) if may_plan and demand_sets else None,
    }
    if request.method == "POST":
        action = request.POST.get("action")
        form = forms.get(action)
        if form is None:
            raise NotFound()
        kwargs = {"networks": [n for n in networks if n.is_ready]} if action == "demand" else (
            {"demand_sets": demand_sets, "kinds": kinds} if action == "scenario" else {})
        form = type(form)(request.POST, request.FILES, prefix=action, **kwargs)
        forms[action] = form
        if form.is_valid():
            try:
                return _submit(request, division, action, form.cleaned_data, networks, demand_sets)
            except ApplicationError as error:
                add_error_to_form(form, error)
    scenarios = list(selectors.scenario_list(user=user, within=division)[:100])
    return render(request, "planning/area.html", {
        "division": division, "networks": networks, "demand_sets": demand_sets, "scenarios": scenarios, "forms": forms,
        "kinds": kinds, "breadcrumbs": [d for d in division.ancestors() if user.has_perm("org.view_division", d)],
        "running": any(s.status in (JobStatus.QUEUED, JobStatus.RUNNING) for s in scenarios)
        or any(n.status in (JobStatus.QUEUED, JobStatus.RUNNING) for n in networks),
    })


def _submit(request, division, action: str, data: dict, networks, demand_sets):
    user = request.user
    if action == "network":
        network = services.network_import_start(actor=user, division=division, name=data["name"], upload=data["file"])
        messages.info(request, _("The extract is being imported; the network can be used when it is done."))
        return redirect("planning:network", network_id=network.pk)
    if action == "demand":
        network = next(n for n in networks if str(n.pk) == data["network"])
        demand = services.demand_create(actor=user, division=division, network=network, name=data["name"], source=data["source"],
                                        upload=data.get("file"))
        messages.success(request, _("%(n)s demand points placed on the network.") % {"n": f"{demand.point_count:,}"})
        return redirect("planning:demand", demand_id=demand.pk)
    demand = next(d for d in demand_sets if str(d.pk) == data["demand"])
    require(user, "planning.add_scenario", demand.division)
    scenario = services.scenario_create(
        actor=user, demand=demand, name=data["name"], facility_kind=data["facility_kind"], objective=data["objective"],
        k=data.get("k"), candidate_source=data.get("candidate_source") or "", candidates_upload=data.get("file"),
        minutes=data.get("minutes"), include_osm=data.get("include_osm", False), reachable_only=data.get("reachable_only", False))
    messages.info(request, _("The scenario is being computed."))
    return redirect("planning:scenario", scenario_id=scenario.pk)


@login_required
def network_detail(request, network_id: int):
    network = selectors.network_get(user=request.user, pk=network_id)
    context = {"network": network, "live": progress_get("network", network.pk)}
    if request.htmx:
        return render(request, "planning/partials/network_status.html", context)
    return render(request, "planning/network.html", context)


@login_required
def demand_detail(request, demand_id: int):
    demand = selectors.demand_get(user=request.user, pk=demand_id)
    return render(request, "planning/demand.html", {"demand": demand, "dropped": demand.dropped[:300],
                                                    "params": labels.demand_params(demand.params)})


@login_required
def scenario_detail(request, scenario_id: int):
    scenario = selectors.scenario_get(user=request.user, pk=scenario_id)
    if scenario.status != JobStatus.DONE:
        context = {"scenario": scenario, "live": progress_get("scenario", scenario.pk)}
        if request.htmx:
            return render(request, "planning/partials/scenario_status.html", context)
        return render(request, "planning/scenario_pending.html", context)
    areas = selectors.scenario_areas(scenario=scenario)
    others = selectors.scenario_list(user=request.user, within=scenario.division).filter(status=JobStatus.DONE).exclude(
        pk=scenario.pk)[:50]
    return render(request, "planning/scenario.html", {
        "scenario": scenario,
        "districts": [a for a in areas if a.level == DivisionLevel.DISTRICT],
        "streets": [a for a in areas if a.level == DivisionLevel.STREET],
        "communities": [a for a in areas if a.level == DivisionLevel.COMMUNITY],
        "gaps": selectors.gap_list(scenario=scenario)[:15],
        "off_network": selectors.facilities_off_network(user=request.user, scenario=scenario),
        "refused_rooms": selectors.refused_rooms(scenario=scenario),
        "refusal_summary": selectors.refusal_summary(scenario=scenario),
        "map_sampled": scenario.demand.point_count > selectors.MAP_POINTS_MAX,
        "map_points_max": selectors.MAP_POINTS_MAX,
        "proposed": selectors.proposed_list(scenario=scenario),
        "others": others,
        "may_delete": request.user.has_perm("planning.delete_scenario", scenario),
        "map_boundaries": scenario.division.code,
        "has_after": scenario.covered_after is not None,
        "network_bbox": ",".join(str(v) for v in selectors.demand_bbox(scenario.demand)),
        "method": labels.method_label((scenario.solution or {}).get("method")),
    })


@login_required
def scenario_compare(request, scenario_id: int, other_id: int):
    a = selectors.scenario_get(user=request.user, pk=scenario_id)
    b = selectors.scenario_get(user=request.user, pk=other_id)
    if a.status != JobStatus.DONE or b.status != JobStatus.DONE:
        raise NotFound()
    return render(request, "planning/compare.html", {"a": a, "b": b, "rows": selectors.scenario_compare(a=a, b=b)})


@login_required
@require_POST
def scenario_export(request, scenario_id: int, register_name: str):
    scenario = selectors.scenario_get(user=request.user, pk=scenario_id)
    if register_name not in EXPORTS or scenario.status != JobStatus.DONE:
        raise NotFound()
    job = excel_export_start(actor=request.user, register_name=register_name, params={"scenario": scenario.pk})
    messages.info(request, _("Export queued. The file appears here when it is ready."))
    return redirect("excel:job", job_id=job.pk)


@login_required
@require_POST
def scenario_delete(request, scenario_id: int):
    scenario = selectors.scenario_get(user=request.user, pk=scenario_id)
    require(request.user, "planning.delete_scenario", scenario)
    code = scenario.division.code
    services.scenario_delete(actor=request.user, scenario=scenario)
    messages.success(request, _("The scenario is removed."))
    return redirect("planning:area", code=code)
