"""The words for the engine's codes: how a solution was found, what its objective counts, which
stage a running job is at, what a demand set's parameters mean.

The engine (``planning.siting``, ``planning.osm``, ``planning.services``) saves and reports stable
codes; the pages, the API's consumers and the command line say them in the user's language from
here, the one place they are named.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import siting

# How the siting engine found a solution (``planning.siting.METHODS``).
METHOD_LABELS = {
    siting.NONE: _("nothing to choose"),
    siting.ENUMERATION: _("every combination tried (exact)"),
    siting.GREEDY: _("greedy"),
    siting.GREEDY_SWAP: _("greedy with improving swaps, bounded by a Lagrangian relaxation"),
    siting.GREEDY_SWAP_LP: _("greedy with improving swaps, bounded by the linear relaxation (HiGHS)"),
    siting.GREEDY_SWAP_MILP: _("greedy with swaps, bounded by the integer programme"),
    siting.GREEDY_MILP: _("greedy, bounded by the integer programme"),
    siting.MILP: _("integer programme (HiGHS)"),
}


def method_label(code: str | None) -> str:
    return str(METHOD_LABELS[code]) if code in METHOD_LABELS else (code or "")


# What a running job is doing (the ``stage`` of ``planning.progress``): the import of an extract
# (``planning.osm.read_pbf``), the placing of demand and the computing of a scenario
# (``planning.services``).
STAGE_LABELS = {
    "reading": pgettext_lazy("job stage", "opening the file"),
    "network": pgettext_lazy("job stage", "reading the walkable ways"),
    "graph": pgettext_lazy("job stage", "building the walking network"),
    "buildings": pgettext_lazy("job stage", "reading the residential buildings"),
    "pois": pgettext_lazy("job stage", "reading the facilities (POIs)"),
    "saving": pgettext_lazy("job stage", "saving"),
    "points": pgettext_lazy("job stage", "laying out the demand points"),
    "snapping": pgettext_lazy("job stage", "placing the points on the network"),
    "done": pgettext_lazy("job stage", "done"),
    "facilities": pgettext_lazy("job stage", "finding the facilities"),
    "distances": pgettext_lazy("job stage", "walking distances to the nearest facility"),
    "candidates": pgettext_lazy("job stage", "gathering the candidate sites"),
    "coverage_matrix": pgettext_lazy("job stage", "which candidates reach whom"),
    "candidate_distances": pgettext_lazy("job stage", "walking distances to the candidates"),
    "solving": pgettext_lazy("job stage", "choosing the sites"),
    "after": pgettext_lazy("job stage", "coverage with the new sites"),
}


def stage_label(code: str | None) -> str:
    return str(STAGE_LABELS[code]) if code in STAGE_LABELS else (code or "")


# Why a home, facility or candidate was left out of an analysis (``network.Graph.place``,
# ``demand.place``).
LEFT_OUT_LABELS = {
    "off_network": _("too far from any walkable way"),
    "detached": _("on walkable ways not connected to the rest of the network"),
    "outside_area": _("outside the area's communities"),
}


def left_out_label(code: str | None) -> str:
    return str(LEFT_OUT_LABELS[code or "off_network"]) if (code or "off_network") in LEFT_OUT_LABELS else code


# Why an idle room cannot hold a facility (``services.RoomRequirement.refusals``), in words that
# carry the requirement's own figures (``requirement`` as saved in a scenario's solution).
def room_refusal(code: str, requirement: dict) -> str:
    if code == "area":
        return str(_("smaller than %(m2)s m²") % {"m2": f"{requirement['min_m2']:g}"})
    if code == "floor":
        low, high = requirement.get("min_floor"), requirement.get("max_floor")
        if low is not None and low == high:
            return str(_("not on floor %(floor)s") % {"floor": low})
        if low is not None and high is not None:
            return str(_("not on floors %(low)s to %(high)s") % {"low": low, "high": high})
        if high is not None:
            return str(_("above floor %(high)s") % {"high": high})
        return str(_("below floor %(low)s") % {"low": low})
    if code == "function":
        return str(_("none of the functions it needs"))
    return code


def refusal_summary(refused: list[dict], requirement: dict, *, none_left: bool = False) -> str:
    """One sentence: how many idle rooms could not hold the facility, and why, by reason (a room
    may fail for more than one)."""
    counts = {code: sum(code in room["reasons"] for room in refused) for code in ("area", "floor", "function")}
    reasons = "、".join(str(_("%(n)s %(reason)s") % {"n": n, "reason": room_refusal(code, requirement)})
                       for code, n in counts.items() if n)
    sentence = (_("None of the %(n)s idle rooms can hold this facility (%(rule)s): %(reasons)s.") if none_left
                else _("%(n)s idle rooms cannot hold this facility (%(rule)s): %(reasons)s."))
    return str(sentence % {"n": len(refused), "rule": requirement["title"], "reasons": reasons})


# What a scenario sets out to do, in the few words its default name uses (``Objective``).
OBJECTIVE_SHORT = {
    "coverage": pgettext_lazy("scenario name", "as it is"),
    "max_cover": pgettext_lazy("scenario name", "new sites for the most people"),
    "set_cover": pgettext_lazy("scenario name", "new sites for everyone"),
    "p_median": pgettext_lazy("scenario name", "new sites for the shortest walk"),
}


# What a solution's objective and bound count (``solution["unit"]``).
UNIT_LABELS = {
    "people": pgettext_lazy("objective unit", "people"),
    "sites": pgettext_lazy("objective unit", "sites"),
    "person_metres": pgettext_lazy("objective unit", "person-metres"),
}


def unit_label(code: str | None) -> str:
    return str(UNIT_LABELS[code]) if code in UNIT_LABELS else (code or "")


# The parameters a demand set was built with (``DemandSet.params``).
DEMAND_PARAM_LABELS = {
    "snap_max_m": pgettext_lazy("demand parameter", "furthest a point may lie from a walkable way (m)"),
    "join_main_within_m": pgettext_lazy("demand parameter", "a point this near the network joins it, even if ways not "
                                                            "connected to it are nearer (m)"),
    "persons_per_m2": pgettext_lazy("demand parameter", "persons per m² of floor"),
    "default_levels": pgettext_lazy("demand parameter", "levels of a building whose levels the map lacks"),
    "spacing_m": pgettext_lazy("demand parameter", "spacing of the points inside a community (m)"),
    "persons_per_household": pgettext_lazy("demand parameter", "persons per household"),
    "from_households": pgettext_lazy("demand parameter", "communities whose population was estimated from their households"),
    "coarsened": pgettext_lazy("demand parameter", "communities too large for the spacing, whose points were laid further apart (m)"),
    "file": pgettext_lazy("demand parameter", "file"),
}


def _value_text(value) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return f"{value:,g}"
    if isinstance(value, dict):
        return "、".join(f"{name}（{_value_text(v)}）" for name, v in value.items())
    if isinstance(value, list | tuple):
        return "、".join(_value_text(v) for v in value)
    return str(value)


def demand_params(params: dict) -> list[tuple[str, str]]:
    """A demand set's parameters as (label, value) pairs, in the order of the labels."""
    known = [(str(label), _value_text(params[key])) for key, label in DEMAND_PARAM_LABELS.items() if key in params]
    return known + [(key, _value_text(value)) for key, value in params.items() if key not in DEMAND_PARAM_LABELS]
