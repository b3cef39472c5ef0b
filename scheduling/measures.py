"""What supervision reads of the rooms' use: the utilisation rate and the idle rooms of every
community over a month, from the same selector as the utilisation page (``selectors._usage``, by
room; a community's rate is its rooms' booked hours over their bookable hours, as the page adds them
up). Both read the rooms' usage once while a month's figures are taken."""

from decimal import Decimal

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from core.measures import RATE, SUM, Month, measure, shared
from org.models import Division
from registry.models import Site

from .models import OpenResource
from .selectors import BOOKED, UsagePeriod, _midnight, _rooms_in, _usage, idle_share


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


def open_resources_by_community(city: Division, month: Month) -> dict:
    """Units' resources open to residents as the month ends, per community they are in (one query)."""
    rows = (OpenResource.objects.filter(room__site__division__path__under=city.path, opened_on__lte=month.last)
            .filter(Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=month.last))
            .values("room__site__division_id").annotate(n=Count("id")).order_by())
    return {row["room__site__division_id"]: (Decimal(row["n"]), None) for row in rows}


def open_resource_bookings_by_community(city: Division, month: Month) -> dict:
    """Bookings of units' resources that took place in the month (confirmed, checked in or released), per community."""
    from .models import Booking

    rows = (Booking.objects.filter(room__open_resource__isnull=False, room__site__division__path__under=city.path,
                                   status__in=BOOKED, starts_at__gte=_midnight(month.since), starts_at__lt=_midnight(month.until))
            .values("room__site__division_id").annotate(n=Count("id")).order_by())
    return {row["room__site__division_id"]: (Decimal(row["n"]), None) for row in rows}


def _open_records(division: Division, month: Month) -> str:
    return f"{reverse('scheduling:open_report')}?" + urlencode(
        {"within": division.code, "since": month.since.isoformat(), "until": month.until.isoformat()})


measure("scheduling.open_resources", label=_("units' resources open to residents"), unit="count", kind=SUM,
        compute=open_resources_by_community, records=_open_records,
        help=_("Parking, sports grounds, meeting rooms and other resources that units in the area open to residents, as the month ends."))
measure("scheduling.open_resource_bookings", label=_("bookings of units' open resources"), unit="count", kind=SUM, flow=True,
        compute=open_resource_bookings_by_community, records=_open_records,
        help=_("Bookings of the resources units open to residents that took place in the month."))
