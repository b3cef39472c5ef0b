"""Series of bookings from a recurrence rule, each occurrence booked or reported as taken."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dateutil.rrule import rrulestr
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from core.errors import Conflict, ValidationFailed
from org.models import Organisation
from registry.models import Room
from rulepack.selectors import param

from ..models import (
    Booking,
    BookingKind,
    Series,
)
from .bookings import _check_may_book, booking_create, booking_organisation
from .rules import _blocked_until, overlapping, policy_for, slot_problems


@dataclass
class SeriesPlan:
    occurrences: list[tuple[datetime, datetime]]
    collisions: list[datetime]


def _expand(rule: str, dtstart: datetime, minutes: int, exdates: list[date], limit: int) -> list[tuple[datetime, datetime]]:
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    upper = text.upper()
    if "COUNT=" not in upper and "UNTIL=" not in upper:
        raise ValidationFailed(fields={"rrule": [_("A recurring booking needs an end: COUNT or UNTIL.")]})
    try:
        recurrence = rrulestr(text, dtstart=timezone.localtime(dtstart))
    except (ValueError, TypeError) as error:
        raise ValidationFailed(fields={"rrule": [_("Not a valid recurrence rule: %(error)s") % {"error": error}]}) from None
    occurrences = []
    for index, start in enumerate(recurrence):
        if index >= limit:
            raise ValidationFailed(fields={"rrule": [_("The rule gives more than %(n)s occurrences.") % {"n": limit}]})
        if start.date() in exdates:
            continue
        occurrences.append((start, start + timedelta(minutes=minutes)))
    if not occurrences:
        raise ValidationFailed(fields={"rrule": [_("The rule gives no occurrence.")]})
    return occurrences


@transaction.atomic
def series_create(
    *, actor, room: Room, title: str, dtstart: datetime, duration_minutes: int, rrule: str,
    exdates: list[date] | None = None, skip_conflicts: bool = False, attendees: int = 1,
    organisation: Organisation | None = None, kind: str = BookingKind.MEETING, now: datetime | None = None,
) -> tuple[Series, list[Booking], list[datetime]]:
    """Book every occurrence of ``rrule``; with collisions refuse them all (naming the dates), or
    — when asked — book the others and leave the colliding dates out. Returns the series, its
    bookings and the dates left out."""
    now = now or timezone.now()
    policy = policy_for(room)
    _check_may_book(actor, room, policy, organisation)
    organisation = booking_organisation(actor, room, organisation)
    limit = int(param(division=room.site.division, key="scheduling.max_occurrences"))
    occurrences = _expand(rrule, dtstart, duration_minutes, exdates or [], limit)
    problems: dict[str, list[str]] = {}
    collisions = []
    for start, end in occurrences:
        wrong = slot_problems(room, policy, start, end, now=now, attendees=attendees)
        if wrong:
            problems[timezone.localtime(start).strftime("%Y-%m-%d")] = wrong
        elif overlapping(room, start, _blocked_until(policy, end)).exists():
            collisions.append(start)
    if problems:
        raise ValidationFailed(_("Some occurrences break the room's rules."), fields=problems)
    if collisions and not skip_conflicts:
        dates = [timezone.localtime(c).strftime("%Y-%m-%d %H:%M") for c in collisions]
        raise Conflict(_("The room is already booked on %(n)s of the dates: %(dates)s") % {"n": len(dates), "dates": "、".join(dates)},
                       fields={"dates": dates}, code="series_collides")
    series = Series.objects.create(room=room, title=title.strip() or str(_("Booking")), rrule=rrule.strip(), dtstart=dtstart,
                                   duration_minutes=duration_minutes, booker=actor, organisation=organisation,
                                   exdates=[d.isoformat() for d in exdates or []] + [timezone.localtime(c).date().isoformat() for c in collisions])
    bookings = []
    for start, end in occurrences:
        if start in collisions:
            continue
        bookings.append(booking_create(actor=actor, room=room, start=start, end=end, title=series.title, attendees=attendees,
                                       organisation=organisation, kind=kind, now=now, series=series))
    audit_record(actor=actor, action="scheduling.series.created", target=series, division=room.site.division,
                 changes={"rrule": series.rrule, "booked": len(bookings), "left_out": [c.isoformat() for c in collisions]})
    return series, bookings, collisions


# Approval.

