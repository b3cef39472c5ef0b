"""What supervision reads of the funds: the communities that have a fund as the month ends, and the
money their funds raised in the month.

A community has a fund from the day it was founded (``Fund.founded_on``), counted as the funds page's
reach counts it (``selectors.reach``: every community of the area, those with a fund). The money
raised is each fund's income of the month by kind, from the ledger's kept monthly totals
(``selectors.fund_figures``: the figures of the funds pages and the public disclosure), of the kinds
that are money the community raised — the kinds the district's seed money matches
(``rules.MATCHABLE``): not the seed matching itself, which is the district fund's money moved into
the community's, nor appropriations.
"""

from decimal import Decimal

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.measures import RATE, SUM, Month, measure
from org.models import Division, DivisionLevel

from .models import ZERO, Fund
from .rules import MATCHABLE
from .selectors import fund_figures

ONE = Decimal(1)
RAISED_KINDS = tuple(kind for kind, _label in MATCHABLE)


def _funds(city: Division, month: Month) -> QuerySet[Fund]:
    """The city's community funds founded by the month's last day."""
    return Fund.objects.filter(division__path__under=city.path, division__level=DivisionLevel.COMMUNITY,
                               founded_on__lte=month.last).order_by()


def communities_with_fund(city: Division, month: Month) -> dict:
    """1 over 1 for each community of the city with a fund founded by the month's end, 0 over 1 for the others."""
    founded = set(_funds(city, month).values_list("division_id", flat=True))
    communities = Division.objects.filter(path__under=city.path, level=DivisionLevel.COMMUNITY).order_by()
    return {pk: (ONE if pk in founded else ZERO, ONE) for pk in communities.values_list("pk", flat=True).iterator(chunk_size=10000)}


def money_raised(city: Division, month: Month) -> dict:
    """Yuan raised in the month into each community's fund (communities with a fund founded by the month's end)."""
    funds = _funds(city, month)
    figures = fund_figures(funds, since=month.since, until=month.last, months=False)
    raised = {}
    for fund_id, division_id in funds.values_list("pk", "division_id").iterator(chunk_size=10000):
        by_kind = figures[fund_id].by_kind
        raised[division_id] = (sum((by_kind.get(kind, ZERO) for kind in RAISED_KINDS), ZERO), None)
    return raised


def _records(division: Division, month: Month) -> str | None:
    """A community's fund page (its income and founding); above a community, the funds page with its reach."""
    if division.level != DivisionLevel.COMMUNITY:
        return reverse("funds:home")
    if not Fund.objects.filter(division=division).exists():
        return None
    return reverse("funds:fund", args=[division.code])


measure("funds.communities_with_fund", label=_("communities with a fund"), unit="share", kind=RATE,
        compute=communities_with_fund, records=_records,
        help=_("Communities with a community development fund founded by the month's end, over all communities."))
measure("funds.money_raised", label=_("money raised into community funds"), unit="yuan", kind=SUM, flow=True,
        compute=money_raised, records=_records,
        help=_("Donations, operators' shares and market and micro-business proceeds received by community funds in "
               "the month; the district's seed matching is not counted."))
