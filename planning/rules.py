"""The kinds of life-circle rule a city's pack may contain.

``life_circle_walk`` is how people walk (speed, the threshold for a facility kind that names
none, how far a home may lie from the nearest walkable way); ``life_circle_demand`` turns
buildings into people and spreads a community's people over points; ``life_circle_facility``
says which sites of the register (by kind or by room function) and which OpenStreetMap tags
count as one kind of facility, and its threshold in minutes; ``life_circle_siting`` bounds the
siting solver and says which rooms are idle enough to be candidates; ``life_circle_room`` says
which idle rooms can hold one kind of facility at all (area, floor, functions), so a proposal never
puts a childcare point in a 20 m² office. Besides them the services
read three ``parameter`` rules: ``planning.persons_per_household`` (a community's people from
its households when its population is not known), ``planning.gap_min_people`` (the fewest
people beyond the threshold that make a community a gap) and the scheduling pack's
``scheduling.idle_usage_share``. What they mean is in ``planning.services``.
"""

from django.utils.translation import gettext_lazy as _

from registry.models import SiteKind
from rulepack.kinds import Param, rule_kind

from .models import MAX_MINUTES, MIN_MINUTES

SITE_KINDS = tuple(SiteKind.values)
FACILITY_PREFIX = "planning.facility."


def _check_minutes(params: dict) -> list[str]:
    if "minutes" in params and not MIN_MINUTES <= params["minutes"] <= MAX_MINUTES:
        return [str(_("minutes must be between %(min)s and %(max)s.") % {"min": MIN_MINUTES, "max": MAX_MINUTES})]
    return []


def _check_tags(params: dict) -> list[str]:
    wrong = [tag for tag in params.get("osm_tags", []) if "=" not in tag]
    problems = [str(_("OpenStreetMap tags are written key=value, such as amenity=kindergarten: %(tags)s") % {"tags": ", ".join(wrong)})] if wrong else []
    if not params.get("site_kinds") and not params.get("functions") and not params.get("osm_tags"):
        problems.append(str(_("A facility kind needs site kinds, room functions or OpenStreetMap tags.")))
    return problems + _check_minutes(params)


def _check_walk(params: dict) -> list[str]:
    problems = [] if 1 <= params["speed_kmh"] <= 10 else [str(_("speed_kmh must be a walking speed between 1 and 10 km/h."))]
    return problems + _check_minutes(params)


rule_kind("life_circle_walk", module="planning",
          description=_("People walk at speed_kmh; a facility within minutes' walk serves them (for a facility kind that "
                        "names no minutes of its own); a home or facility further than snap_max_m from the nearest walkable "
                        "way is left out (and listed), as is one nearer to ways not connected to the network than to the network, "
                        "unless the network is within join_main_within_m."),
          params={"speed_kmh": Param("number"), "minutes": Param("number"), "snap_max_m": Param("number"),
                  "join_main_within_m": Param("number", required=False)}, check=_check_walk)
rule_kind("life_circle_demand", module="planning",
          description=_("A residential building holds footprint × levels × persons_per_m2 people (default_levels where the "
                        "map has none); building_tags are the OpenStreetMap building values that count as homes; community "
                        "points are laid spacing_m apart inside a community's boundary, further apart where a community would "
                        "get more than max_points_per_community."),
          params={"persons_per_m2": Param("number"), "default_levels": Param("int"), "building_tags": Param("list"),
                  "spacing_m": Param("number"), "max_points_per_community": Param("int")})
rule_kind("life_circle_facility", module="planning",
          description=_("Sites of the register of these kinds, or with a room of these functions, and OpenStreetMap features "
                        "with these tags, are one kind of facility; people within minutes' walk of one (the walking rule's "
                        "minutes when the kind names none) are covered."),
          params={"site_kinds": Param("list", choices=SITE_KINDS), "functions": Param("list", required=False),
                  "osm_tags": Param("list", required=False), "minutes": Param("number", required=False)}, check=_check_tags)
def _check_room(params: dict) -> list[str]:
    problems = [] if params["min_m2"] > 0 else [str(_("min_m2 must be a floor area above 0 m²."))]
    low, high = params.get("min_floor"), params.get("max_floor")
    if low is not None and high is not None and low > high:
        problems.append(str(_("min_floor cannot be above max_floor.")))
    return problems


rule_kind("life_circle_room", module="planning",
          description=_("An idle room is a candidate for the facility kind named by facility only when it has at least "
                        "min_m2 of floor, lies between min_floor and max_floor (where given) and has one of the functions "
                        "(where given); rooms that fail are counted and listed with the reason."),
          params={"facility": Param("str"), "min_m2": Param("number"), "min_floor": Param("int", required=False),
                  "max_floor": Param("int", required=False), "functions": Param("list", required=False)}, check=_check_room)
rule_kind("life_circle_siting", module="planning",
          description=_("The siting solver stops after time_limit_s with its best answer and its proven gap; network "
                        "candidates are laid candidate_spacing_m apart, at most max_candidates; a room booked under the "
                        "scheduling idle share over the last idle_window_days is an idle-room candidate."),
          params={"time_limit_s": Param("number"), "candidate_spacing_m": Param("number"), "max_candidates": Param("int"),
                  "idle_window_days": Param("int")})
