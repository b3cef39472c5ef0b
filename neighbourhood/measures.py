"""What supervision reads of the smart neighbourhood, for every community of a city over a month:
needs met, person-times served, feedback closed on time and residents' satisfaction — each counted
as the module's own pages count it, in a few grouped queries for the whole city.

* Needs met: needs marked met in the month over needs closed in the month (met, or not taken up —
  what ``services.need_support`` calls closed: not open or planned, ``selectors.OPEN_NEEDS``), by
  the day the community decided (``Need.decided_at``), as the register stands.
* Person-times (人次): the person-times page's own selector (``selectors.person_times`` by
  community), the places checked in at sessions held in the month.
* Feedback closed on time: requests closed in the month (resolved or not accepted) by their
  deadline (``due_at``: submission plus the category's days from the pack's
  ``neighbourhood.feedback_categories``), as the feedback page's "closed on time" counts them
  (``selectors.feedback_figures``).
* Satisfaction: the stars residents gave in the month — orders, activities, the handling of their
  feedback — over the ratings given, counted as ``ratings.stars_given`` counts them for the star
  rating of their centres, grouped by community.

A street puts on activities for all its communities (``Activity.community`` is then the street):
their person-times and stars are the street's own figure, keyed by the street, so a street's total
is the one its pages show.

Month bounds are local midnights (the platform's time zone, Asia/Shanghai): a request closed at
00:30 on the 1st (16:30 UTC the day before) is of the new month.
"""

from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from core.measures import RATE, SUM, Month, measure
from org.models import Division, DivisionLevel

from .models import (
    ActivityRating,
    FeedbackRequest,
    FeedbackStatus,
    Need,
    NeedStatus,
    OrderEvent,
    OrderStatus,
)
from .selectors import OPEN_NEEDS, person_times


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=timezone.get_current_timezone())


def _bounds(month: Month) -> tuple[datetime, datetime]:
    return _midnight(month.since), _midnight(month.until)


class _WholeCity:
    """Who the measures read as: the bureau's figures count every record of the city, so the
    selectors' ``visible_to`` narrows nothing (as for a superuser)."""

    is_superuser = is_active = True


def needs_met_by_community(city: Division, month: Month) -> dict:
    """Needs marked met in the month over needs closed in the month (met or not taken up), per community."""
    since, until = _bounds(month)
    rows = (Need.objects.filter(community__path__under=city.path, decided_at__gte=since, decided_at__lt=until)
            .exclude(status__in=OPEN_NEEDS).values("community_id")
            .annotate(met=Count("id", filter=Q(status=NeedStatus.MET)), closed=Count("id")).order_by())
    return {row["community_id"]: (Decimal(row["met"]), Decimal(row["closed"])) for row in rows}


def person_times_by_community(city: Division, month: Month) -> dict:
    """Person-times served in the month, per community (0 where nobody checked in), and per street for the
    street's own activities: the person-times page's selector, for the whole city in one grouped query."""
    rows = person_times(user=_WholeCity(), within=city, since=month.since, until=month.last, by="community")
    places = Division.objects.filter(path__under=city.path).exclude(level=DivisionLevel.GRID).values_list("code", "pk", "level")
    ids = {code: pk for code, pk, _level in places}
    figures: dict[int, tuple[Decimal, None]] = {pk: (Decimal(0), None) for _code, pk, level in places
                                                if level == DivisionLevel.COMMUNITY}
    for row in rows:
        figures[ids[row.key]] = (Decimal(row.person_times), None)
    return figures


def feedback_on_time_by_community(city: Division, month: Month) -> dict:
    """Requests closed in the month by their deadline over requests closed in the month, per community."""
    since, until = _bounds(month)
    rows = (FeedbackRequest.objects.filter(community__path__under=city.path, closed_at__gte=since, closed_at__lt=until)
            .values("community_id")
            .annotate(on_time=Count("id", filter=Q(closed_at__lte=F("due_at"))), closed=Count("id")).order_by())
    return {row["community_id"]: (Decimal(row["on_time"]), Decimal(row["closed"])) for row in rows}


def satisfaction_by_community(city: Division, month: Month) -> dict:
    """The stars residents gave in the month over the ratings they gave, per community (and per street for the
    street's own activities): ``ratings.stars_given``'s three counts, grouped."""
    since, until = _bounds(month)
    under = city.path
    sources = (
        OrderEvent.objects.filter(to_status=OrderStatus.RATED, at__gte=since, at__lt=until, order__community__path__under=under,
                                  order__rating__isnull=False)
        .values(place=F("order__community_id")).annotate(n=Count("id"), total=Sum("order__rating")),
        ActivityRating.objects.filter(rated_at__gte=since, rated_at__lt=until, activity__community__path__under=under)
        .values(place=F("activity__community_id")).annotate(n=Count("id"), total=Sum("stars")),
        FeedbackRequest.objects.filter(rated_at__gte=since, rated_at__lt=until, community__path__under=under,
                                       satisfaction__isnull=False)
        .values(place=F("community_id")).annotate(n=Count("id"), total=Sum("satisfaction")),
    )
    totals: dict[int, list[int]] = {}
    for rows in sources:
        for row in rows.order_by():
            found = totals.setdefault(row["place"], [0, 0])
            found[0] += row["total"] or 0
            found[1] += row["n"]
    return {place: (Decimal(stars), Decimal(n)) for place, (stars, n) in totals.items() if n}


def _staff_page(name: str, **query):
    def records(division: Division, month: Month) -> str:
        url = reverse(f"neighbourhood:{name}", args=[division.code])
        values = {key: value(month) if callable(value) else value for key, value in query.items()}
        return f"{url}?{urlencode(values)}" if values else url
    return records


measure("neighbourhood.needs_met", label=_("needs met"), unit="share", kind=RATE, flow=True,
        compute=needs_met_by_community, records=_staff_page("staff_needs", status=NeedStatus.MET),
        help=_("Needs the community marked met in the month, over the needs it closed in the month (met or not taken up)."))
measure("neighbourhood.person_times", label=_("person-times served"), unit="times", kind=SUM, flow=True,
        compute=person_times_by_community,
        records=_staff_page("person_times", since=lambda m: m.since.isoformat(), until=lambda m: m.last.isoformat()),
        help=_("Places checked in at the sessions of activities held in the month, as the person-times page counts them."))
measure("neighbourhood.feedback_on_time", label=_("feedback closed on time"), unit="share", kind=RATE, flow=True,
        compute=feedback_on_time_by_community, records=_staff_page("staff_feedback", status=FeedbackStatus.RESOLVED),
        help=_("Requests closed in the month by their deadline (the category's days from the pack), over the requests closed in the month."))
measure("neighbourhood.satisfaction", label=_("residents' satisfaction"), unit="stars", kind=RATE, flow=True,
        compute=satisfaction_by_community,
        help=_("The stars residents gave in the month to their service orders, the activities they took part in and the "
               "handling of their feedback, over the number of ratings (1 to 5)."))
