"""What supervision reads of community governance: the share of communities with a 五社联动 project
running in the month in which all five parties take part, and the money those projects bring.

Counted as the governance page counts them (``selectors.project_figures``): a project involves all
five when the community, a social organisation, social workers, volunteers and charitable resources
each take part in it.
"""

from decimal import Decimal

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.measures import RATE, SUM, Month, measure
from org.models import Division, DivisionLevel

from .models import ZERO, PartnershipProject
from .selectors import project_figures

ONE = Decimal(1)


def _running(city: Division, month: Month):
    return PartnershipProject.objects.filter(
        community__path__under=city.path, starts_on__lte=month.last).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=month.since)).order_by()


def _five_party(city: Division, month: Month) -> dict[int, list]:
    """The city's five-party projects running in the month, by community: [(project id, figures)]."""
    projects = _running(city, month)
    figures = project_figures(projects.values("pk"))
    found: dict[int, list] = {}
    for pk, community_id in projects.values_list("pk", "community_id"):
        if pk in figures and figures[pk].all_five:
            found.setdefault(community_id, []).append(figures[pk])
    return found


def communities_with_five_party_project(city: Division, month: Month) -> dict:
    """1 over 1 for each community of the city with a five-party project running in the month, 0 over 1 for the others."""
    with_project = _five_party(city, month)
    communities = Division.objects.filter(path__under=city.path, level=DivisionLevel.COMMUNITY).order_by()
    return {pk: (ONE if pk in with_project else ZERO, ONE)
            for pk in communities.values_list("pk", flat=True).iterator(chunk_size=10000)}


def five_party_money(city: Division, month: Month) -> dict:
    """Yuan the parties bring to each community's five-party projects running in the month."""
    return {community_id: (sum((f.money for f in figures), ZERO), None)
            for community_id, figures in _five_party(city, month).items()}


def _records(division: Division, month: Month) -> str | None:
    return reverse("governance:projects") + f"?within={division.code}"


measure("governance.communities_with_five_party_project", label=_("communities with a five-party project"), unit="share",
        kind=RATE, compute=communities_with_five_party_project, records=_records,
        help=_("Communities with a project running in the month in which the community, social organisations, social "
               "workers, volunteers and charitable resources all take part, over all communities."))
measure("governance.five_party_money", label=_("money behind five-party projects"), unit="yuan", kind=SUM,
        compute=five_party_money, records=_records,
        help=_("Yuan all parties bring to the five-party projects running in the month."))
