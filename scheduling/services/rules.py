"""A room's booking rules: who may book it, its bookable hours (the rules', else the room's, else its site's), and what a slot breaks."""

from contextlib import contextmanager
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, OperationalError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.permissions import active_roles
from core.errors import Conflict
from org.models import Organisation, OrganisationKind
from registry.hours import empty_week
from registry.models import Room, RoomUse
from rulepack.selectors import param

from ..models import (
    HOLDING,
    Booker,
    Booking,
    Closure,
    RoomPolicy,
)

CHECK_IN_EARLY = timedelta(minutes=30)


# Rules of a room.

def default_bookers(use: str) -> list[str]:
    """Who may book a room whose rules were never set: staff for an office, anyone otherwise."""
    return [Booker.STAFF] if use == RoomUse.OFFICE else list(Booker.values)


def policy_for(room: Room) -> RoomPolicy:
    """The room's booking rules, made from sensible defaults the first time they are needed."""
    try:
        return room.policy
    except RoomPolicy.DoesNotExist:
        policy, _created = RoomPolicy.objects.get_or_create(room=room, defaults={
            "bookers": default_bookers(room.use), "no_show_minutes": int(param(division=room.site.division, key="scheduling.no_show_minutes"))})
        room.policy = policy
        return policy


def _any_hours(week: dict | None) -> bool:
    """Whether ``week`` gives any time at all: a week of empty days (what a blank form, API field
    or Excel cell is read as) gives none, and means "not set here"."""
    return bool(week) and any(week.values())


def weekly_hours(room: Room, policy: RoomPolicy) -> dict:
    """When the room can be booked: its own rule, else the room's hours, else the site's. A rule or
    room left without hours (none given, or a week of empty days) takes the next one's."""
    for week in (policy.bookable_hours, room.opening_hours, room.site.opening_hours):
        if _any_hours(week):
            return week
    return empty_week()


def bookable_intervals(room: Room, policy: RoomPolicy, day: date) -> list[tuple[datetime, datetime]]:
    tz = timezone.get_current_timezone()
    week = weekly_hours(room, policy)
    intervals = []
    for start, end in week.get(str(day.isoweekday()), []):
        begin = datetime.combine(day, time.fromisoformat(start), tzinfo=tz)
        finish = datetime.combine(day, time.fromisoformat(end), tzinfo=tz) if end != "24:00" else \
            datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
        intervals.append((begin, finish))
    return intervals


def booker_kinds(user, room: Room, organisation: Organisation | None) -> set[str]:
    """The kinds of booker ``user`` is for this room (from roles that reach it)."""
    return booker_kinds_at(user, room.site.division.path, organisation)


def booker_kinds_at(user, path: str, organisation: Organisation | None) -> set[str]:
    """The kinds of booker ``user`` is for a room in the division at ``path``."""
    kinds = set()
    for assignment in active_roles(user):
        if assignment.division_id and path.startswith(assignment.division.path):
            if assignment.role in (Role.STREET_ADMIN, Role.COMMUNITY_WORKER, Role.SUPERVISOR):
                kinds.add(Booker.STAFF)
            elif assignment.role in (Role.RESIDENT, Role.FUND_COMMITTEE):
                kinds.add(Booker.RESIDENT)
        elif (assignment.organisation_id and assignment.role in (Role.OPERATOR_STAFF, Role.CHARITY_STAFF)
              and any(path.startswith(d.path) for d in assignment.organisation.served_divisions.all())):
            kinds.add(Booker.OPERATOR)  # an organisation books the rooms of the communities it serves
    if getattr(user, "is_superuser", False):
        kinds.add(Booker.STAFF)
    if organisation is not None and organisation.kind == OrganisationKind.DEPARTMENT and Booker.STAFF in kinds:
        kinds.add(Booker.DEPARTMENT)
    return kinds


def slot_problems(room: Room, policy: RoomPolicy, start: datetime, end: datetime, *, now: datetime, attendees: int) -> list[str]:
    """Why this time cannot be booked in this room (its rules and closures, not other bookings); empty if it can."""
    problems = rule_problems(room, policy, start, end, now=now, attendees=attendees)
    if end > start:
        reasons = closures_between(room, start, end).order_by().values_list("reason", flat=True)[:1]
        problems += [_closed_then(reason) for reason in reasons]
    return problems


def _closed_then(reason: str) -> str:
    return str(_("The room is closed then: %(reason)s") % {"reason": reason})


def rule_problems(room: Room, policy: RoomPolicy, start: datetime, end: datetime, *, now: datetime, attendees: int) -> list[str]:
    """Why the room's rules refuse this time (read from the room and its rules, no query); empty if they do not."""
    problems = []
    if end <= start:
        return [str(_("The booking must end after it starts."))]
    if start < now - timedelta(minutes=1):
        problems.append(str(_("The time has already passed.")))
    if start > now + timedelta(days=policy.horizon_days):
        problems.append(str(_("This room can be booked at most %(days)s days ahead.") % {"days": policy.horizon_days}))
    minutes = (end - start).total_seconds() / 60
    if minutes < policy.min_minutes:
        problems.append(str(_("A booking here lasts at least %(n)s minutes.") % {"n": policy.min_minutes}))
    if minutes > policy.max_minutes:
        problems.append(str(_("A booking here lasts at most %(n)s minutes.") % {"n": policy.max_minutes}))
    local = timezone.localtime(start)
    if (local.hour * 60 + local.minute) % policy.slot_minutes or int(minutes) % policy.slot_minutes or local.second:
        problems.append(str(_("Bookings here go by slots of %(n)s minutes.") % {"n": policy.slot_minutes}))
    if not any(begin <= start and end <= finish for begin, finish in bookable_intervals(room, policy, local.date())):
        problems.append(str(_("The room cannot be booked at that time (outside its bookable hours).")))
    if attendees > max(room.capacity, 1):
        problems.append(str(_("The room holds %(n)s people.") % {"n": room.capacity}))
    if not policy.bookable or room.closed_on is not None:
        problems.append(str(_("This room is not open for booking.")))
    return problems


def closures_between(room: Room, start: datetime, end: datetime):
    """Closures of the room, or of its whole site, that overlap ``[start, end)``."""
    return Closure.objects.filter(Q(room=room) | Q(room__isnull=True, site_id=room.site_id), starts_at__lt=end, ends_at__gt=start)


def _blocked_until(policy: RoomPolicy, end: datetime) -> datetime:
    return end + timedelta(minutes=policy.buffer_minutes)


DEADLOCK_DETECTED = "40P01"  # PostgreSQL's SQLSTATE for a transaction cancelled to break a deadlock


def taken_meanwhile(error: Exception) -> bool:
    """Whether the database refused a booking's write because another booking took the time meanwhile.

    On PostgreSQL the exclusion constraint makes an insert that overlaps a booking still being written
    wait for that transaction, and refuses it once that one commits. When two transactions each write
    a booking the other overlaps (two people taking the same hour, or an agreement holding a room's
    Mondays while someone books one of them), each waits for the other: the database cancels one with
    a deadlock error and the other goes on. For the cancelled one that is the same answer, the time is
    taken."""
    if isinstance(error, IntegrityError):
        return True
    return isinstance(error, OperationalError) and getattr(error.__cause__, "sqlstate", None) == DEADLOCK_DETECTED


@contextmanager
def refused_when_taken():
    """Inside this block, a booking's write refused because the time was taken meanwhile (see
    ``taken_meanwhile``) becomes the Conflict a person reads."""
    try:
        yield
    except (IntegrityError, OperationalError) as error:
        if not taken_meanwhile(error):
            raise
        raise Conflict(_("The room was booked by someone else a moment ago."), code="already_booked") from None


def overlapping(room: Room, start: datetime, blocked_until: datetime, *, excluding=()):
    return Booking.objects.filter(room=room, status__in=HOLDING, starts_at__lt=blocked_until,
                                  blocked_until__gt=start).exclude(pk__in=[b.pk for b in excluding])


