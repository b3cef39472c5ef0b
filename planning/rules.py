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
from django.utils.translation import pgettext_lazy

from registry.models import SiteKind
from registry.rules import catalogue_functions
from rulepack.kinds import Param, parameter_rule, rule_kind

from .models import MAX_MINUTES, MIN_MINUTES

FACILITY_PREFIX = "planning.facility."

# OpenStreetMap tags a facility kind may count, by what a person calls them; a city may write others.
OSM_FACILITY_TAGS = (
    ("amenity=community_centre", _("community centre")),
    ("amenity=social_facility", _("social facility")),
    ("social_facility=food_bank", _("food bank or meal point")),
    ("amenity=kindergarten", _("kindergarten")),
    ("amenity=childcare", _("childcare centre")),
    ("amenity=school", _("school")),
    ("amenity=clinic", _("clinic")),
    ("amenity=doctors", _("doctor's practice")),
    ("amenity=pharmacy", _("pharmacy")),
    ("amenity=hospital", _("hospital")),
    ("social_facility=nursing_home", _("nursing home")),
    ("amenity=nursing_home", _("nursing home (older tag)")),
    ("social_facility=assisted_living", _("assisted living")),
    ("amenity=library", _("library")),
    ("leisure=sports_centre", _("sports centre")),
    ("leisure=park", _("park")),
    ("amenity=marketplace", pgettext_lazy("place", "market")),
    ("shop=supermarket", _("supermarket")),
    ("amenity=post_office", _("post office")),
)
# OpenStreetMap building values that may count as homes.
BUILDING_TAGS = (
    ("residential", _("residential building")),
    ("apartments", _("block of flats")),
    ("house", _("house")),
    ("detached", _("detached house")),
    ("semidetached_house", _("semi-detached house")),
    ("terrace", _("terraced houses")),
    ("bungalow", _("single-storey house")),
    ("dormitory", _("dormitory")),
    ("farm", _("farmhouse")),
    ("yes", _("building of unstated use")),
)


def _check_tags(params: dict) -> list[str]:
    wrong = [tag for tag in params.get("osm_tags", []) if "=" not in tag]
    problems = [str(_("OpenStreetMap tags are written key=value, such as amenity=kindergarten: %(tags)s") % {"tags": ", ".join(wrong)})] if wrong else []
    if not params.get("site_kinds") and not params.get("functions") and not params.get("osm_tags"):
        problems.append(str(_("A facility kind needs site kinds, room functions or OpenStreetMap tags.")))
    return problems


MINUTES = {"unit": "minutes", "min": MIN_MINUTES, "max": MAX_MINUTES}

rule_kind("life_circle_walk", module="planning", label=_("walking"),
          description=_("People walk at the given speed; a facility within the given minutes' walk serves them (for a "
                        "facility kind that names no minutes of its own); a home or facility further than the given "
                        "distance from the nearest walkable way is left out (and listed)."),
          params={"speed_kmh": Param("number", label=_("walking speed"), unit="kmh", min=1, max=10),
                  "minutes": Param("number", label=_("walk of at most"), **MINUTES),
                  "snap_max_m": Param("number", label=_("at most from a walkable way"), unit="metres", max=5000),
                  "join_main_within_m": Param("number", required=False, label=_("joins the main network within"),
                                              unit="metres", max=1000,
                                              help=_("A home or facility nearer to ways not connected to the network than to "
                                                     "the network is left out, unless the network is this near."))})
rule_kind("life_circle_demand", module="planning", label=_("where people live"),
          description=_("A residential building holds its footprint × floors × the people per m² (the default floors where "
                        "the map has none); the chosen kinds of building count as homes; a community's people are spread "
                        "over points the given distance apart inside its boundary, further apart where a community would "
                        "get more than the most points."),
          params={"persons_per_m2": Param("number", label=_("people per m² of floor"), unit="people_per_m2", max=1),
                  "default_levels": Param("int", label=_("floors where the map has none"), unit="floors", min=1, max=100),
                  "building_tags": Param("list", label=_("buildings counted as homes (OpenStreetMap)"),
                                         choices=BUILDING_TAGS, open=True),
                  "spacing_m": Param("number", label=_("points apart"), unit="metres", min=10, max=1000),
                  "max_points_per_community": Param("int", label=_("points in a community at most"), unit="count",
                                                    min=1, max=100_000)})
rule_kind("life_circle_facility", module="planning", label=_("life-circle facility kind"), several=True,
          key_prefix=FACILITY_PREFIX,
          description=_("Sites of the register of the chosen kinds, or with a room of the chosen functions, and "
                        "OpenStreetMap features with the chosen tags, are one kind of facility; people within the given "
                        "minutes' walk of one (the walking rule's minutes when the kind names none) are covered."),
          params={"site_kinds": Param("list", required=False, label=_("kinds of site"), choices=SiteKind.choices),
                  "functions": Param("list", required=False, label=_("or a room with the function"),
                                     choices=catalogue_functions),
                  "osm_tags": Param("list", required=False, label=_("on the map (OpenStreetMap)"), choices=OSM_FACILITY_TAGS,
                                    open=True),
                  "minutes": Param("number", required=False, label=_("walk of at most"), empty=_("as the walking rule"),
                                   **MINUTES)},
          check=_check_tags)
rule_kind("life_circle_siting", module="planning", label=_("siting new facilities"),
          description=_("The siting solver stops after the time limit with its best answer and its proven gap; candidate "
                        "points on the network are the given distance apart, up to the most; a room booked under the idle "
                        "share over the given days is an idle-room candidate."),
          params={"time_limit_s": Param("number", label=_("time limit"), unit="seconds", min=1, max=3600),
                  "candidate_spacing_m": Param("number", label=_("candidate points apart"), unit="metres", min=10, max=5000),
                  "max_candidates": Param("int", label=_("candidate points at most"), unit="count", min=1, max=100_000),
                  "idle_window_days": Param("int", label=_("idle judged over the last"), unit="days", min=1, max=365)})

parameter_rule("planning.persons_per_household",
               Param("number", label=_("people per household"), unit="people_per_household", min=0.5, max=10))
parameter_rule("planning.gap_min_people", Param("number", label=_("people left out at least"), unit="people", max=1000))


def facility_kinds(data: dict) -> list[tuple[str, str]]:
    """The pack's life-circle facility kinds, by their titles: what a room rule names."""
    return [(rule["key"][len(FACILITY_PREFIX):], rule.get("title") or rule["key"]) for rule in data.get("rules", [])
            if isinstance(rule, dict) and str(rule.get("key", "")).startswith(FACILITY_PREFIX)]


def _check_room(params: dict) -> list[str]:
    low, high = params.get("min_floor"), params.get("max_floor")
    if low is not None and high is not None and low > high:
        return [str(_("The lowest floor cannot be above the highest floor."))]
    return []


rule_kind("life_circle_room", module="planning", label=_("rooms that can hold a facility"), several=True,
          key_prefix="planning.room.",
          description=_("An idle room is a candidate for the facility kind only when it has at least the given floor area, "
                        "lies between the given floors (where given) and has one of the given functions (where given); rooms "
                        "that fail are counted and listed with the reason."),
          params={"facility": Param("str", label=_("facility kind"), choices=facility_kinds),
                  "min_m2": Param("number", label=_("floor area at least"), unit="m2", min=1, max=100_000),
                  "min_floor": Param("int", required=False, label=_("on floor at least"), unit="floors", min=-5, max=100,
                                     empty=_("any floor")),
                  "max_floor": Param("int", required=False, label=_("on floor at most"), unit="floors", min=-5, max=100,
                                     empty=_("any floor")),
                  "functions": Param("list", required=False, label=_("with a room of the function"),
                                     choices=catalogue_functions, empty=_("any function"))},
          check=_check_room)
