"""The kinds of space-for-service rule a city's pack may contain.

What each kind means is evaluated in ``operations.compliance`` (findings with figures) and
``operations.services`` (refusals of bad input, such as a low-cost price above the cap); the
numbers, and the property classes each rule applies to, come from the pack with their source
[Huli]. A mixed-property room is judged by the rules of each class it is partly made of.
"""

from django.utils.translation import gettext_lazy as _

from registry.models import PropertyClass
from rulepack.kinds import Param, parameter_rule, rule_kind

from .models import Agreement, BasisKind

AGREEMENT_FIELDS = ("basis_number", "basis_date", "revenue_distribution", "collective_resolution", "valuation_report_no",
                    "authorised_by", "authorisation_document")


def _agreement_fields(data: dict) -> list[tuple[str, str]]:
    return [(name, Agreement._meta.get_field(name).verbose_name) for name in AGREEMENT_FIELDS]


def property_classes() -> Param:
    return Param("list", label=_("property classes"), choices=PropertyClass.choices)


def _check_checklist(params: dict) -> list[str]:
    problems = []
    for item in params.get("checks", []):
        if not item.get("code") or not item.get("text"):
            problems.append(str(_("Each checklist item needs a code and a text.")))
    return problems


rule_kind("public_benefit_share_min", module="operations", label=_("minimum public-benefit share"), several=True,
          description=_("On rooms of the chosen property classes, free and low-cost sessions are at least the given share "
                        "of all sessions, as agreed and as reported."),
          params={"property_classes": property_classes(),
                  "min_share": Param("share", label=_("free and low-cost sessions at least"), unit="share")})
rule_kind("paid_income_within_cost", module="operations", label=_("paid income within the running cost"), several=True,
          description=_("On rooms of the chosen property classes, paid income (low-cost and market) stays within the "
                        "given share of the cost of keeping the service running, month by month."),
          params={"property_classes": property_classes(),
                  "max_ratio": Param("number", label=_("paid income at most, of the running cost"), unit="share", max=10)})
rule_kind("free_use_non_profit", module="operations", label=_("free use only for non-profit purposes"), several=True,
          description=_("Rooms of the chosen property classes are given free of rent only for a non-profit purpose, with "
                        "no market-priced service."),
          params={"property_classes": property_classes()})
rule_kind("agreement_records", module="operations", label=_("what an agreement records"), several=True,
          description=_("Agreements on rooms of the chosen property classes record the chosen items (formal basis, asset "
                        "valuation and authorisation), with a basis of one of the chosen kinds."),
          params={"property_classes": property_classes(),
                  "fields": Param("list", label=_("the agreement records"), choices=_agreement_fields),
                  "basis_kinds": Param("list", required=False, label=_("formal basis by"), choices=BasisKind.choices,
                                       empty=_("any kind of document"))})
rule_kind("low_cost_cap", module="operations", label=_("price cap of low-cost services"),
          description=_("A low-cost service costs at most the given price and at most the given share of the same "
                        "service's market price; an agreement may set a lower cap."),
          params={"max_price": Param("number", label=_("at most a time"), unit="yuan"),
                  "max_share_of_market": Param("share", label=_("at most, of the market price"), unit="share")})
rule_kind("admission_checklist", module="operations", label=_("admission checklist"),
          description=_("What a street or district checks before admitting an operator: items, and whether each must be met."),
          params={"checks": Param("table", label=_("items checked"), row_key="code", columns={
              "code": Param("str"),
              "text": Param("str", label=_("item")),
              "required": Param("bool", label=_("must be met")),
          })}, check=_check_checklist)

parameter_rule("operations.admission_years", Param("int", label=_("admission valid for"), unit="years", min=1, max=10))
parameter_rule("operations.max_term_years", Param("int", label=_("agreement at most"), unit="years", min=1, max=30))
parameter_rule("operations.report_due_day",
               Param("int", label=_("monthly report due by, the next month"), unit="day_of_month", min=1, max=28))
parameter_rule("operations.session_tolerance",
               Param("number", label=_("sessions reported above the bookings by more than"), unit="share", max=10))
parameter_rule("operations.approval_overdue_days",
               Param("int", label=_("an agreement, admission or report waits for approval at most"), unit="days", min=1,
                     max=365))
parameter_rule("operations.session_min_minutes",
               Param("int", label=_("a session of a reported service lasts at least"), unit="minutes", min=5, max=480))
parameter_rule("operations.service_station_subsidy", Param("number", label=_("subsidy per service station"), unit="yuan"))
