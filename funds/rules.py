"""The kinds of fund rule a city's pack may contain: seed matching and the committee's vote.

What they mean is in ``funds.services`` (``_seed_match`` and ``_tally``); the numbers come
from the pack, each with its source.
"""

from django.utils.translation import gettext_lazy as _

from rulepack.kinds import Param, rule_kind

from .models import IncomeKind

MATCHABLE = tuple(kind for kind in IncomeKind.values if kind not in (IncomeKind.SEED_MATCHING, IncomeKind.APPROPRIATION))


def _check_committee(params: dict) -> list[str]:
    return [] if params.get("min_members", 3) >= 3 else [str(_("A fund committee has at least 3 members."))]


rule_kind("seed_matching", module="funds",
          description=_("The district's fund adds ratio × each eligible income to a community's fund, up to "
                        "cap_per_year yuan per community per calendar year, while the district's fund has money."),
          params={"ratio": Param("number"), "cap_per_year": Param("number"), "eligible_kinds": Param("list", choices=MATCHABLE)})
rule_kind("committee", module="funds",
          description=_("A fund committee of at least min_members reviews projects: at least quorum_share of the members "
                        "who have not recused must vote, and a project passes with more than majority_share of the votes cast."),
          params={"min_members": Param("int"), "quorum_share": Param("share"), "majority_share": Param("share"),
                  "proposer_may_vote": Param("bool"), "charity_approver_independent": Param("bool")},
          check=_check_committee)
