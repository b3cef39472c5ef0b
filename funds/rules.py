"""The kinds of fund rule a city's pack may contain: seed matching and the committee's vote.

What they mean is in ``funds.services`` (``_seed_match`` and ``_tally``); the numbers come
from the pack, each with its source.
"""

from django.utils.translation import gettext_lazy as _

from rulepack.kinds import Param, parameter_rule, rule_kind

from .models import IncomeKind

MATCHABLE = tuple((kind, label) for kind, label in IncomeKind.choices
                  if kind not in (IncomeKind.SEED_MATCHING, IncomeKind.APPROPRIATION))


rule_kind("seed_matching", module="funds", label=_("seed matching"),
          description=_("The district's fund adds the given multiple of each eligible income to a community's fund, up to "
                        "the cap per community per calendar year, while the district's fund has money."),
          params={"ratio": Param("number", label=_("added for each yuan raised"), unit="yuan", max=10),
                  "cap_per_year": Param("number", label=_("at most a year per community"), unit="yuan"),
                  "eligible_kinds": Param("list", label=_("income matched"), choices=MATCHABLE)})
# A committee of at least 3 members [Zibo]: a city may ask for more, never fewer.
rule_kind("committee", module="funds", label=_("fund committee"),
          description=_("A fund committee of at least the given number of members reviews projects: at least the quorum "
                        "of the members who have not stepped aside must vote, and a project passes with more than the "
                        "majority share of the votes cast."),
          params={"min_members": Param("int", label=_("members at least"), unit="people", min=3, max=50),
                  "quorum_share": Param("share", label=_("members voting at least"), unit="share"),
                  "majority_share": Param("share", label=_("passes with more than"), unit="share"),
                  "proposer_may_vote": Param("bool", label=_("the proposer may vote")),
                  "charity_approver_independent": Param("bool", label=_("the charity approves on its own"))})
parameter_rule("funds.decision_overdue_days",
               Param("int", label=_("an application waits for the charity at most"), unit="days", min=1, max=365))
