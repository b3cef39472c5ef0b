"""The kinds of space-for-service rule a city's pack may contain.

What each kind means is evaluated in ``operations.compliance`` (findings with figures) and
``operations.services`` (refusals of bad input, such as a low-cost price above the cap); the
numbers, and the property classes each rule applies to, come from the pack with their source
[Huli]. A mixed-property room is judged by the rules of each class it is partly made of.
"""

from django.utils.translation import gettext_lazy as _

from registry.models import PropertyClass
from rulepack.kinds import Param, rule_kind

from .models import BasisKind

CLASSES = tuple(PropertyClass.values)
AGREEMENT_FIELDS = ("basis_number", "basis_date", "revenue_distribution", "collective_resolution", "valuation_report_no",
                    "authorised_by", "authorisation_document")


def _check_checklist(params: dict) -> list[str]:
    problems = []
    for item in params.get("checks", []):
        if not item.get("code") or not item.get("text"):
            problems.append(str(_("Each checklist item needs a code and a text.")))
    return problems


rule_kind("public_benefit_share_min", module="operations",
          description=_("On rooms of the given property classes, free and low-cost sessions are at least min_share of all "
                        "sessions, as agreed and as reported."),
          params={"property_classes": Param("list", choices=CLASSES), "min_share": Param("share")})
rule_kind("paid_income_within_cost", module="operations",
          description=_("On rooms of the given property classes, paid income (low-cost and market) stays within max_ratio "
                        "times the cost of keeping the service running, month by month."),
          params={"property_classes": Param("list", choices=CLASSES), "max_ratio": Param("number")})
rule_kind("free_use_non_profit", module="operations",
          description=_("Rooms of the given property classes are given free of rent only for a non-profit purpose, with no "
                        "market-priced service."),
          params={"property_classes": Param("list", choices=CLASSES)})
rule_kind("agreement_records", module="operations",
          description=_("Agreements on rooms of the given property classes record the listed fields (formal basis, asset "
                        "valuation and authorisation), with a basis of one of the listed kinds."),
          params={"property_classes": Param("list", choices=CLASSES),
                  "fields": Param("list", choices=AGREEMENT_FIELDS),
                  "basis_kinds": Param("list", choices=tuple(BasisKind.values), required=False)})
rule_kind("low_cost_cap", module="operations",
          description=_("A low-cost service costs at most max_price yuan and at most max_share_of_market of the same "
                        "service's market price; an agreement may set a lower cap."),
          params={"max_price": Param("number"), "max_share_of_market": Param("share")})
rule_kind("admission_checklist", module="operations",
          description=_("What a street or district checks before admitting an operator: items with a code, a text and "
                        "whether they must be met."),
          params={"checks": Param("table")}, check=_check_checklist)
