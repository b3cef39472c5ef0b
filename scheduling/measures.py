"""What supervision reads of the rooms' use: the utilisation rate and the idle rooms of every
community over a month, from the same selector as the utilisation page (``selectors._usage``, by
room; a community's rate is its rooms' booked hours over their bookable hours, as the page adds them
up). Both read the rooms' usage once while a month's figures are taken."""

from decimal import Decimal

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from core.measures import RATE, SUM, Month, measure, shared
from org.models import Division
from registry.models import Site

from .selectors import UsagePeriod, _rooms_in, _usage, idle_share


def _period(month: Month) -> UsagePeriod:
    return UsagePeriod(month.since, month.until)


def _hours(value: float) -> Decimal:
    return Decimal(str(round(value, 2)))


@shared
def _room_usage(city: Division, month: Month) -> list[tuple[int, bool, float, float]]:
    """Every room of the city in the month, from the utilisation page's selector: (the community or
    street its site is in, whether it is idle, booked hours, bookable hours), for the rooms of the
    places that record bookings (the others' rooms are not idle, they are unknown)."""
    threshold = idle_share(city)
    rows = [row for row in _usage(_rooms_in(user=None, within=city), period=_period(month)) if row.recorded]
    place_of = dict(Site.objects.filter(pk__in={row.site_id for row in rows}).values_list("pk", "division_id"))
    return [(place_of[row.site_id], row.idle(threshold), row.booked_hours, row.bookable_hours) for row in rows]


def utilisation_by_community(city: Division, month: Month) -> dict:
    """Booked hours over bookable hours of each community's rooms (communities that record no
    bookings are left out: they have no rate, as on the utilisation page)."""
    booked: dict[int, list[float]] = {}
    for place, _idle, booked_hours, bookable_hours in _room_usage(city, month):
        totals = booked.setdefault(place, [0.0, 0.0])
        totals[0] += booked_hours
        totals[1] += bookable_hours
    return {place: (_hours(hours), _hours(bookable)) for place, (hours, bookable) in booked.items() if bookable}


def idle_rooms_by_community(city: Division, month: Month) -> dict:
    """Rooms booked less than the city's idle share of their bookable hours, per community (of the
    communities that record bookings)."""
    idle: dict[int, Decimal] = {}
    for place, is_idle, _booked, _bookable in _room_usage(city, month):
        idle[place] = idle.get(place, Decimal(0)) + (1 if is_idle else 0)
    return {place: (count, None) for place, count in idle.items()}


def _records(division: Division, month: Month) -> str:
    return f"{reverse('scheduling:utilisation')}?" + urlencode(
        {"within": division.code, "since": month.since.isoformat(), "until": month.last.isoformat(), "by": "week"})


measure("scheduling.utilisation", label=_("room utilisation"), unit="share", kind=RATE, flow=True,
        compute=utilisation_by_community, records=_records,
        help=_("Hours booked over the hours the rooms could be booked in the month, in the communities that record bookings."))
measure("scheduling.idle_rooms", label=_("idle rooms"), unit="rooms", kind=SUM, flow=True,
        compute=idle_rooms_by_community, records=_records,
        help=_("Rooms booked less than the city's idle share of their bookable hours in the month."))
