"""The words for the engine's codes: how a solution was found, what its objective counts, which
stage a running job is at, what a demand set's parameters mean.

The engine (``planning.siting``, ``planning.osm``, ``planning.services``) saves and reports stable
codes; the pages, the API's consumers and the command line say them in the user's language from
here, the one place they are named.
"""

from django.utils.translation import gettext_lazy as _

from . import siting

# How the siting engine found a solution (``planning.siting.METHODS``).
METHOD_LABELS = {
    siting.NONE: _("nothing to choose"),
    siting.ENUMERATION: _("every combination tried (exact)"),
    siting.GREEDY: _("greedy"),
    siting.GREEDY_SWAP: _("greedy with improving swaps, bounded by a Lagrangian relaxation"),
    siting.GREEDY_SWAP_LP: _("greedy with improving swaps, bounded by the linear relaxation (HiGHS)"),
    siting.GREEDY_SWAP_MILP: _("greedy with swaps, bounded by the integer programme"),
    siting.GREEDY_MILP: _("greedy, bounded by the integer programme"),
    siting.MILP: _("integer programme (HiGHS)"),
}


def method_label(code: str | None) -> str:
    return str(METHOD_LABELS[code]) if code in METHOD_LABELS else (code or "")
