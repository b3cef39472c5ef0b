"""The indicators of supervision, as rules of the pack: a city says which measures it watches,
the target of each and by when, which way is better, and its weight in the yearly assessment —
each citing the document it comes from. A city adds an indicator or changes a target or a weight
on ``/rules/`` (or in its pack file) without code; what a measure counts is the module's code
(``core.measures``).

A share's target is a share (80 %), anything else's a number in its unit (3 rooms, ¥50,000,
30 days, 4 stars); ``direction`` says
whether a figure meets its target by reaching it (``higher``) or by staying at or under it
(``lower``: idle rooms, breaches open). A number's target may be ``per_community`` (200
person-times a community): a street or a district is then judged by its average per community
counted, so the same target reads the same at every level.
"""

from datetime import date

from django.utils.translation import gettext_lazy as _

from core.measures import MEASURES, RATE, measure_choices
from rulepack.kinds import Param, parameter_rule, rule_kind

INDICATOR_PREFIX = "supervision.indicator."
HIGHER, LOWER = "higher", "lower"
DIRECTIONS = ((HIGHER, _("the higher the better")), (LOWER, _("the lower the better")))


def takes_share(measure) -> bool:
    """Whether an indicator of ``measure`` gives its target as a share (a rate of a share: 80 %) or as a
    number in the measure's unit (a count, yuan, a rate in days or stars: 30 days, 4 stars)."""
    return measure.kind == RATE and measure.unit == "share"


def _check_indicator(params: dict) -> list[str]:
    problems = []
    found = MEASURES.get(params.get("measure", ""))
    if found is not None:
        rate = takes_share(found)
        given, other = ("target_share", "target") if rate else ("target", "target_share")
        if params.get(given) is None:
            problems.append(str(_("An indicator of a rate needs its target as a share (a per cent).") if rate else
                                _("An indicator of a number needs its target as a number.")))
        if params.get(other) is not None:
            problems.append(str(_("Give the target once, as a share for a rate and as a number otherwise.")))
    if params.get("due"):
        try:
            date.fromisoformat(params["due"])
        except (TypeError, ValueError):
            problems.append(str(_("The date by which the target is to be met is written 2025-12-31.")))
    return problems


rule_kind(
    "indicator", module="supervision", label=_("indicator"), several=True, key_prefix=INDICATOR_PREFIX,
    description=_("A figure the bureau watches: the measure it reads, its target and by when it is to be met, "
                  "which way is better, and its weight in the yearly assessment of streets and towns."),
    params={
        "measure": Param("str", label=_("measure"), choices=lambda data: measure_choices()),
        "direction": Param("str", label=_("direction"), choices=DIRECTIONS),
        "target_share": Param("share", required=False, label=_("target (a rate)"), unit="share",
                              empty=_("not a rate")),
        "target": Param("number", required=False, label=_("target (a number)"), empty=_("not a number")),
        "due": Param("str", required=False, label=_("to be met by"), help=_("A date, written 2025-12-31."),
                     empty=_("no date")),
        "weight": Param("number", required=False, label=_("weight in the yearly assessment"), unit="points",
                        max=100, empty=_("not assessed")),
        "per_community": Param("bool", required=False, label=_("target per community"),
                               help=_("For a number: a street or district is judged by its average per community."),
                               empty=_("no")),
    },
    check=_check_indicator,
)

parameter_rule("supervision.close_after_days", Param(
    "int", label=_("figures closed after"), unit="days", min=0, max=31,
    help=_("Days after a month ends before its figures are taken for the last time and closed (reports of the month filed).")))

PROPORTIONAL, ALL_OR_NOTHING = "proportional", "all_or_nothing"
parameter_rule("supervision.assessment_scoring", Param(
    "str", label=_("an indicator's points in the yearly assessment"),
    choices=((PROPORTIONAL, _("in proportion to how near the figure is to the target")),
             (ALL_OR_NOTHING, _("its whole weight when the target is met, none otherwise")))))

rule_kind(
    "inspection_checklist", module="supervision", label=_("inspection checklist"),
    description=_("What inspectors check at a community's service rooms in a double random inspection, and the days "
                  "a unit has to put right what fails."),
    params={"items": Param("table", label=_("checklist items"), row_key="code", columns={
                "code": Param("str"),
                "question": Param("str", label=_("item checked")),
            }),
            "rectify_days": Param("int", label=_("put right within"), unit="days", min=1, max=365)},
)
