"""What the rule pack holds for volunteering: how often the sign-in code changes, when signing in opens
and when signing out closes (``parameter`` rules; the documents ask volunteers' hours to be recorded
without saying how)."""

from django.utils.translation import gettext_lazy as _

from rulepack.kinds import Param, parameter_rule

parameter_rule("volunteers.sign_code_seconds",
               Param("int", label=_("the sign-in code changes every"), unit="seconds", min=15, max=3600))
parameter_rule("volunteers.sign_in_opens_minutes_before",
               Param("int", label=_("signing in opens before the start by"), unit="minutes", min=0, max=240))
parameter_rule("volunteers.sign_out_grace_hours",
               Param("number", label=_("signing out stays open after the end for"), unit="hours", min=0, max=24))
