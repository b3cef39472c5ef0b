"""The kinds of registry rule a city's pack may contain, and the function catalogue section.

What each kind means is here and in ``registry.compliance`` (figures and verdicts); the
numbers and which site kinds count come from the pack.
"""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rulepack.kinds import Param, rule_kind, section_loader

from .models import Aspect, Function, Requirement, SiteKind

KINDS = tuple(SiteKind.values)
STAR_INDICATORS = {"floor_area", "aspects_covered", "required_functions", "weekly_hours", "ground_floor_share",
                   "independent_entrance", "evidence", "resident_ratings"}

rule_kind("site_area_min", module="registry",
          description=_("The floor area of a community's sites of the given kinds is at least min_m2."),
          params={"min_m2": Param("number"), "site_kinds": Param("list", choices=KINDS)})
rule_kind("ground_floor_share_min", module="registry",
          description=_("The ground-floor area is at least min_share of the floor area of the given kinds of site."),
          params={"min_share": Param("share"), "site_kinds": Param("list", choices=KINDS)})
rule_kind("independent_entrance", module="registry",
          description=_("Sites of the given kinds have an independent street-level entrance (all of them, or any)."),
          params={"site_kinds": Param("list", choices=KINDS), "require": Param("str", choices=("all", "any"))})
rule_kind("office_share_max", module="registry",
          description=_("Office rooms take at most max_share of a community's room area."),
          params={"max_share": Param("share")})
rule_kind("required_functions", module="registry",
          description=_("Every required function of the catalogue is present in a community's rooms (or those listed)."),
          params={"functions": Param("list", required=False)})
rule_kind("street_site_count_min", module="registry",
          description=_("A street has at least min_count sites of the given kinds (at the street or in its communities)."),
          params={"site_kinds": Param("list", choices=KINDS), "min_count": Param("int"),
                  "applies_to": Param("str", choices=("subdistrict", "all"))})
rule_kind("provision_area", module="registry",
          description=_("A new residential project provides per_100_households_m2 for every 100 households, at least min_m2."),
          params={"per_100_households_m2": Param("number"), "min_m2": Param("number")})


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


def check_star_criteria(params: dict) -> list[str]:
    problems = []
    if len(params["stars_at"]) != 5:
        problems.append(str(_("stars_at lists the scores for one to five stars: five numbers.")))
    for item in params["criteria"]:
        if item.get("indicator") not in STAR_INDICATORS:
            problems.append(str(_("Unknown rating indicator: %(name)s") % {"name": item.get("indicator")}))
        if not isinstance(item.get("weight"), int | float) or item["weight"] <= 0:
            problems.append(str(_("Each rating criterion needs a positive weight.")))
        if item.get("indicator") == "resident_ratings" and any(
                isinstance(value, bool) or not isinstance(value, int) or value < 1
                for value in (item.get("window_days", 1), item.get("min_ratings", 1))):
            problems.append(str(_("The residents' ratings' window (days) and fewest ratings are whole numbers, 1 or more.")))
    return problems


rule_kind("star_rating", module="registry",
          description=_("How neighbourhood centres are rated: weighted criteria and the scores that earn each star."),
          params={"site_kinds": Param("list", choices=KINDS), "stars_at": Param("numbers"), "criteria": Param("table")},
          check=check_star_criteria)
