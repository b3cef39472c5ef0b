"""The kinds of registry rule a city's pack may contain, and the function catalogue section.

What each kind means is here and in ``registry.compliance`` (figures and verdicts); the
numbers and which site kinds count come from the pack.
"""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rulepack.kinds import Param, parameter_rule, rule_kind, section_loader

from .models import AREA_MAX, Aspect, Function, Requirement, SiteKind

STAR_INDICATORS = {
    "floor_area": _("floor area of the rooms"),
    "aspects_covered": _("aspects of the catalogue covered"),
    "required_functions": _("required functions present"),
    "weekly_hours": _("opening hours a week"),
    "ground_floor_share": _("share of the area on the ground floor"),
    "independent_entrance": _("independent street entrance"),
    "evidence": _("assessor's score on a visit"),
    "resident_ratings": _("residents' ratings of services, activities and feedback"),
}


def catalogue_functions(data: dict) -> list[tuple[str, str]]:
    """The room functions of the pack's catalogue, by name: what a rule naming functions chooses from."""
    return [(item["code"], item["name"]) for aspect in data.get("catalogue", []) if isinstance(aspect, dict)
            for item in aspect.get("functions", []) if isinstance(item, dict) and item.get("code") and item.get("name")]


def site_kinds(label=None) -> Param:
    return Param("list", choices=SiteKind.choices, label=label or _("kinds of site counted"))


AREA = {"unit": "m2", "max": AREA_MAX}

rule_kind("site_area_min", module="registry", label=_("minimum floor area"), several=True,
          description=_("The floor area of a community's sites of the chosen kinds, together, is at least the minimum."),
          params={"min_m2": Param("number", label=_("minimum floor area"), **AREA), "site_kinds": site_kinds()})
rule_kind("ground_floor_share_min", module="registry", label=_("minimum ground-floor share"), several=True,
          description=_("The ground-floor area is at least the given share of the floor area of the chosen kinds of site."),
          params={"min_share": Param("share", label=_("ground floor at least"), unit="share"), "site_kinds": site_kinds()})
rule_kind("independent_entrance", module="registry", label=_("independent street entrance"), several=True,
          description=_("Sites of the chosen kinds have an independent street-level entrance (all of them, or at least one)."),
          params={"site_kinds": site_kinds(),
                  "require": Param("str", label=_("which sites"), choices=(("all", _("every such site")),
                                                                            ("any", _("at least one such site"))))})
rule_kind("office_share_max", module="registry", label=_("maximum office share"), several=True,
          description=_("Office rooms take at most the given share of a community's room area."),
          params={"max_share": Param("share", label=_("office rooms at most"), unit="share")})
rule_kind("required_functions", module="registry", label=_("required functions"), several=True,
          description=_("Every required function of the catalogue (or each one chosen here) is present in a community's rooms."),
          params={"functions": Param("list", required=False, choices=catalogue_functions, label=_("functions"),
                                     empty=_("every required function of the catalogue"))})
rule_kind("street_site_count_min", module="registry", label=_("sites in every street"), several=True,
          description=_("A street has at least the given number of sites of the chosen kinds (at the street or in its "
                        "communities)."),
          params={"site_kinds": site_kinds(), "min_count": Param("int", label=_("at least"), unit="count", max=100),
                  "applies_to": Param("str", label=_("streets judged"), choices=(
                      ("subdistrict", _("sub-districts only (not towns)")), ("all", _("sub-districts and towns"))))})
rule_kind("provision_area", module="registry", label=_("rooms of new residential projects"),
          description=_("A new residential project provides the given area for every 100 households, and at least the "
                        "minimum."),
          params={"per_100_households_m2": Param("number", label=_("area per 100 households"), **AREA),
                  "min_m2": Param("number", label=_("at least"), **AREA)})

parameter_rule("registry.monetisation_requires_compliance",
               Param("bool", label=_("only where the community's rooms meet the standard")))
parameter_rule("registry.monetisation_payment_days", Param("int", label=_("paid within"), unit="days", min=1, max=365))
parameter_rule("registry.lease_warning_days", Param("int", label=_("warned before the end"), unit="days", min=1, max=365))
parameter_rule("registry.online_services_min_stars", Param("int", label=_("at least"), unit="stars", min=1, max=5))
parameter_rule("registry.suggestion_quiet_days", Param("int", label=_("not suggested again for"), unit="days", min=1, max=3650))


def load_catalogue(*, pack, data, errors: list[str]) -> None:
    """Store the pack's function catalogue for its city; functions no longer listed are retired."""
    city = pack.city
    seen_aspects, seen_functions = set(), set()
    for aspect_order, entry in enumerate(data):
        code, name = entry.get("code"), entry.get("name")
        if not code or not name:
            errors.append(str(_("A catalogue aspect needs a code and a name.")))
            continue
        aspect, _created = Aspect.objects.update_or_create(city=city, code=code, defaults={"name": name, "order": aspect_order})
        seen_aspects.add(code)
        for order, item in enumerate(entry.get("functions", [])):
            fcode = item.get("code")
            if not fcode or not item.get("name"):
                errors.append(str(_("A function of %(aspect)s needs a code and a name.") % {"aspect": name}))
                continue
            if item.get("requirement") not in Requirement.values:
                errors.append(str(_("Function %(code)s: requirement must be required or recommended.") % {"code": fcode}))
                continue
            if fcode in seen_functions:
                errors.append(str(_("Function %(code)s appears twice.") % {"code": fcode}))
                continue
            seen_functions.add(fcode)
            Function.objects.update_or_create(city=city, code=fcode, defaults={
                "aspect": aspect, "name": item["name"], "requirement": item["requirement"],
                "sets": list(item.get("sets", [])), "source": item.get("source", ""), "order": order, "is_active": True,
            })
    Function.objects.filter(city=city).exclude(code__in=seen_functions).update(is_active=False)
    Aspect.objects.filter(city=city).exclude(Q(code__in=seen_aspects) | Q(functions__is_active=True)).delete()


section_loader("catalogue", load_catalogue)


rule_kind("star_rating", module="registry", label=_("star rating of neighbourhood centres"),
          description=_("How neighbourhood centres are rated: weighted criteria, and the score that earns each star."),
          params={"site_kinds": site_kinds(_("kinds of site rated")),
                  "stars_at": Param("numbers", label=_("score for each star"), unit="points", max=100,
                                    parts=(_("one star"), _("two stars"), _("three stars"), _("four stars"), _("five stars"))),
                  "criteria": Param("table", label=_("criteria"), row_key="criterion", columns={
                      "title": Param("str", label=_("criterion")),
                      "indicator": Param("str", label=_("measured by"), choices=tuple(STAR_INDICATORS.items())),
                      "weight": Param("number", label=_("weight"), unit="points", min=0.1, max=100),
                      "target": Param("number", required=False, label=_("full marks at"), max=AREA_MAX,
                                      unit_by=("indicator", {"floor_area": "m2", "weekly_hours": "hours",
                                                             "ground_floor_share": "share"})),
                      "window_days": Param("int", required=False, label=_("ratings of the last"), unit="days", min=1,
                                           max=3650, empty=_("only for residents' ratings")),
                      "min_ratings": Param("int", required=False, label=_("counted from ratings"), unit="count", min=1,
                                           max=10_000, empty=_("only for residents' ratings")),
                      "criterion": Param("str", required=False),
                  })})


# Governance of the rooms: signs and plaques [Huli], merging idle rooms [Huli], swapping unfit rooms [Haining].

rule_kind("allowed_signs", module="registry", label=_("signs allowed at community sites"),
          description=_("The signs a community may hang; any other sign is redundant and is taken down in a clean-up. "
                        "In a name, * stands for any text (such as the community's name)."),
          params={"names": Param("list", label=_("allowed signs"), open=True,
                                 help=_("For example: *居民委员会, 中国共产党*委员会"))})
rule_kind("idle_room_merge", module="registry", label=_("merging idle rooms"),
          description=_("Idle rooms sharing a function are suggested for merging: within a community, or between "
                        "communities of the same street whose sites are at most the given distance apart."),
          params={"max_distance_m": Param("int", label=_("neighbouring sites at most"), unit="metres", min=0, max=20_000)})
rule_kind("room_fit", module="registry", label=_("rooms fit for their function"), several=True,
          description=_("A room with one of the chosen functions is on a floor it can serve from (higher only where its "
                        "site has a lift) and has at least the given area; a room that is not is suggested for a swap."),
          params={"functions": Param("list", choices=catalogue_functions, label=_("functions")),
                  "max_floor_without_lift": Param("int", required=False, label=_("highest floor without a lift"),
                                                  unit="floors", min=1, max=60, empty=_("any floor")),
                  "min_area_m2": Param("number", required=False, label=_("area at least"), empty=_("no minimum"), **AREA)})
