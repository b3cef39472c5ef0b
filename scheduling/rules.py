"""The values scheduling reads from a city's pack: what makes a room idle, when a no-show is
released, how long a recurring booking may run, how long a released slot waits for the next on
the waitlist. They are ``parameter`` rules (read with ``rulepack.selectors.param``); this says
what each is, in a person's words, its unit and its bounds, for the pack's form and its checks.
"""

from django.utils.translation import gettext_lazy as _

from rulepack.kinds import Param, parameter_rule

parameter_rule("scheduling.idle_usage_share", Param("share", label=_("idle below a usage of"), unit="share"))
parameter_rule("scheduling.usage_window_days",
               Param("int", label=_("usage rates are counted over the last"), unit="days", min=7, max=366))
parameter_rule("scheduling.no_show_minutes",
               Param("int", label=_("released when nobody has checked in after the start by"), unit="minutes", min=1, max=240))
parameter_rule("scheduling.max_occurrences", Param("int", label=_("a recurring booking at most"), unit="times", min=1, max=3660))
parameter_rule("scheduling.offer_minutes",
               Param("int", label=_("a released slot is held for the next on the waitlist for"), unit="minutes", min=1, max=1440))
