"""The city's rule pack as planning reads it: the walking, demand and siting rules, the facility kinds and what a room needs to hold one."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from core.errors import Conflict
from org.models import Division
from rulepack.selectors import default_pack_rules, rule, rules_for

from ..rules import FACILITY_PREFIX


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
