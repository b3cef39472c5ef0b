"""The kinds of rule the smart neighbourhood reads from a city's pack.

* ``feedback_categories``: the categories residents choose when they send feedback (诉求反馈),
  whether the community or the street handles each, and the days it has to close one. They
  are also the Open311 services of ``/open311/v2/services.json``.
* ``matching_weights``: how resource matching weighs category, text, distance, capacity and
  price tier when it ranks operators and services for a need.

Plain numbers (places one person may take, photo size, when the waitlist stops moving up…)
are ``parameter`` rules of the pack, read with ``rulepack.selectors.param`` (which falls back on
the default pack's value when a city's older pack lacks one).
"""

from django.utils.translation import gettext_lazy as _

from rulepack.kinds import Param, rule_kind

LEVELS = ("community", "street")


def _check_categories(params: dict) -> list[str]:
    problems, codes = [], set()
    for row in params.get("categories", []):
        code = row.get("code")
        if not isinstance(code, str) or not code.strip() or not isinstance(row.get("name"), str):
            problems.append(str(_("Each feedback category needs a code and a name.")))
            continue
        if code in codes:
            problems.append(str(_("Feedback category %(code)s appears twice.") % {"code": code}))
        codes.add(code)
        if row.get("level") not in LEVELS:
            problems.append(str(_("Feedback category %(code)s: level must be community or street.") % {"code": code}))
        days = row.get("sla_days")
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 365:
            problems.append(str(_("Feedback category %(code)s: sla_days must be a whole number of days from 1 to 365.") % {"code": code}))
    if not codes:
        problems.append(str(_("Give at least one feedback category.")))
    return problems


def _check_weights(params: dict) -> list[str]:
    names = ("category", "text", "distance", "capacity", "tier")
    if sum(float(params.get(n, 0)) for n in names) <= 0:
        return [str(_("At least one matching weight must be more than zero."))]
    return []


rule_kind("feedback_categories", module="neighbourhood",
          description=_("The categories of residents' feedback: code, name, group, level (community or street that "
                        "handles it) and sla_days (days to close it)."),
          params={"categories": Param("table")}, check=_check_categories)
rule_kind("matching_weights", module="neighbourhood",
          description=_("How resource matching ranks candidates for a need: weights of category, text similarity, "
                        "distance (up to max_km), capacity and price tier."),
          params={"category": Param("number"), "text": Param("number"), "distance": Param("number"),
                  "capacity": Param("number"), "tier": Param("number"), "max_km": Param("number")},
          check=_check_weights)
