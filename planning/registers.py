"""Excel registers of planning: a scenario's gap list (uncovered people by community and every
uncovered point) and its proposal (the chosen sites in order). Export only: they are results."""

from django.utils.translation import gettext_lazy as _

from core.errors import ValidationFailed
from excel.registers import Column, Register, register, yes_no

from . import selectors


def _scenario(user, params: dict):
    if not params.get("scenario"):
        raise ValidationFailed(fields={"scenario": [_("Say which scenario to export.")]})
    try:
        pk = int(params["scenario"])
    except (TypeError, ValueError):
        raise ValidationFailed(fields={"scenario": [_("A scenario is named by its number.")]}) from None
    return selectors.scenario_get(user=user, pk=pk)


def check_scenario(*, user, params: dict) -> None:
    _scenario(user, params)


GAP_COLUMNS = [Column(key, header, width=width) for key, header, width in (
    ("street", _("Street"), 16), ("community", _("Community"), 18), ("code", _("Community code"), 14),
    ("population", _("Population"), 11), ("uncovered", _("Beyond the threshold"), 13),
    ("share", _("Share beyond"), 11), ("after", _("Still beyond with the new sites"), 16), ("mean", _("Mean walk (m)"), 12))]


def export_gaps(*, user, params: dict):
    scenario = _scenario(user, params)
    rows = selectors.gap_list(scenario=scenario)

    def generate():
        for r in rows:
            yield [r.community.parent.name if r.community.parent else "", r.community.name, r.community.code, round(r.population),
                   round(r.uncovered), round(r.share_uncovered, 4), None if r.uncovered_after is None else round(r.uncovered_after),
                   None if r.mean_distance_m is None else round(r.mean_distance_m)]

    return len(rows), generate()


POINT_COLUMNS = [Column(key, header, width=width) for key, header, width in (
    ("community", _("Community"), 18), ("lon", _("Longitude"), 12), ("lat", _("Latitude"), 12),
    ("population", _("Population"), 11), ("distance", _("Walk to the nearest (m)"), 16),
    ("after", _("Covered with the new sites"), 16))]


def export_gap_points(*, user, params: dict):
    points = selectors.gap_points(scenario=_scenario(user, params))

    def generate():
        for p in points:
            yield [p["community"], round(p["lon"], 6), round(p["lat"], 6), round(p["population"], 1),
                   None if p["distance_m"] is None else round(p["distance_m"]),
                   "" if p["covered_after"] is None else yes_no(p["covered_after"])]

    return len(points), generate()


PROPOSAL_COLUMNS = [Column(key, header, width=width) for key, header, width in (
    ("order", _("Order"), 6), ("label", _("Candidate"), 30), ("community", _("Community"), 16), ("lon", _("Longitude"), 12),
    ("lat", _("Latitude"), 12), ("gain", _("People newly covered"), 14),
    ("walk_saved", _("Walking saved (person-km)"), 16))]


def export_proposal(*, user, params: dict):
    sites = selectors.proposed_list(scenario=_scenario(user, params))

    def generate():
        for s in sites:
            yield [s.order, s.label, s.community.name if s.community else "", round(s.longitude, 6), round(s.latitude, 6),
                   None if s.gain is None else round(s.gain),
                   None if s.walk_saved_person_km is None else round(s.walk_saved_person_km, 1)]

    return len(sites), generate()


register(Register(name="planning.gaps", title=_("Life-circle gap list"), permission="planning.view_scenario", columns=GAP_COLUMNS,
                  export_rows=export_gaps, check_params=check_scenario))
register(Register(name="planning.gap_points", title=_("Life-circle uncovered points"), permission="planning.view_scenario",
                  columns=POINT_COLUMNS, export_rows=export_gap_points, check_params=check_scenario))
register(Register(name="planning.proposal", title=_("Proposed sites"), permission="planning.view_scenario",
                  columns=PROPOSAL_COLUMNS, export_rows=export_proposal, check_params=check_scenario))
