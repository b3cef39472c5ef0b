"""What supervision reads of volunteering: the hours volunteers served in each community in a month
(confirmed by the organisers), from the kept month totals — the figures the volunteers' pages show.
A street's own opportunities count for the street."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from core.measures import SUM, Month, measure
from org.models import Division, DivisionLevel

from .models import HoursMonthTotal


def hours_by_community(city: Division, month: Month) -> dict:
    """Confirmed volunteer hours served in the month, per community (0 where none), and per street for its own."""
    figures = {pk: (Decimal(0), None) for pk in Division.objects.filter(path__under=city.path, level=DivisionLevel.COMMUNITY)
               .values_list("pk", flat=True)}
    for community_id, minutes in HoursMonthTotal.objects.filter(community__path__under=city.path, month=month.since).values_list(
            "community_id", "minutes"):
        figures[community_id] = ((Decimal(minutes) / 60).quantize(Decimal("0.01")), None)
    return figures


def _records(division: Division, month: Month) -> str:
    from django.urls import reverse

    return reverse("volunteers:staff", args=[division.code])


measure("volunteers.hours", label=_("volunteer hours served"), unit="hours", kind=SUM, flow=True, compute=hours_by_community,
        records=_records, help=_("Hours volunteers served in the month at the community's opportunities, as confirmed by their organisers."))
