"""What the rule pack holds for community governance: how often the district reviews its affairs
admission list (a ``parameter`` rule; the documents ask for a yearly review without a number of days)."""

from django.utils.translation import gettext_lazy as _

from rulepack.kinds import Param, parameter_rule

parameter_rule("governance.admission_review_days",
               Param("int", label=_("the affairs admission list is reviewed at least every"), unit="days", min=30, max=1095))
