"""Writing the schedule: bookings, series, approvals, check-in, no-shows, waitlists, rotations.

Every booking goes in through ``_hold_room``: inside the caller's transaction it inserts only if
no booking overlaps (one statement for a new booking), and otherwise says what is in the way,
naming a booking only to those who may see it. SQLite runs writing transactions one at a time
(IMMEDIATE), so check-then-insert cannot race there; on PostgreSQL an exclusion constraint on
(room, time range) refuses the second of two requests that passed the check together, and that
refusal becomes the same Conflict. No room is ever double-booked, whatever the concurrency.

Times are passed as aware datetimes; ``now`` can be passed for tests and for the demo city.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dateutil.rrule import rrulestr
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.permissions import active_roles
from audit.services import audit_record, audit_record_many, diff, snapshot
from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.services import assign, clean_or_raise
from notifications.services import notify
from org.models import Organisation, OrganisationKind
from registry.hours import empty_week
from registry.models import Room, RoomUse
from rulepack.selectors import param

from .models import (
    HOLDING,
    Booker,
    Booking,
    BookingKind,
    BookingStatus,
    Closure,
    RoomPolicy,
    Rotation,
    RotationMember,
    Series,
    WaitlistEntry,
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


def overlapping(room: Room, start: datetime, blocked_until: datetime, *, excluding=()):
    return Booking.objects.filter(room=room, status__in=HOLDING, starts_at__lt=blocked_until,
                                  blocked_until__gt=start).exclude(pk__in=[b.pk for b in excluding])


def _lapsed(status: str, hold_expires_at: datetime | None, now: datetime) -> bool:
    """A request or waitlist offer whose hold ran out: it no longer blocks the room."""
    return status in (BookingStatus.PENDING, BookingStatus.OFFERED) and hold_expires_at is not None and hold_expires_at < now


def _in_the_way(booking: Booking, *, now: datetime, excluding=(), closures: bool = False) -> tuple[str | None, list[int], int | None]:
    """What stands between ``booking`` and its room, in one query: the reason of a closure over its
    time (when ``closures`` is asked), the lapsed requests and offers in its way (the tick would
    have let them go), and the first other booking holding the room then."""
    moment = connection.ops.adapt_datetimefield_value
    pending = (BookingStatus.PENDING, BookingStatus.OFFERED)
    sql = (f"SELECT 1, id, CASE WHEN status IN (%s, %s) AND hold_expires_at < %s THEN 1 ELSE 0 END, '', starts_at "
           f"FROM {Booking._meta.db_table} WHERE room_id = %s AND status IN ({', '.join(['%s'] * len(HOLDING))}) "
           f"AND starts_at < %s AND blocked_until > %s")
    params = [*pending, moment(now), booking.room_id, *HOLDING, moment(booking.blocked_until), moment(booking.starts_at)]
    others = [b.pk for b in excluding if b.pk is not None] + ([booking.pk] if booking.pk is not None else [])
    if others:
        sql += f" AND id NOT IN ({', '.join(['%s'] * len(others))})"
        params += others
    if closures:
        sql = (f"SELECT 0, id, 0, reason, starts_at FROM {Closure._meta.db_table} WHERE (room_id = %s OR (room_id IS NULL "
               f"AND site_id = %s)) AND starts_at < %s AND ends_at > %s UNION ALL {sql}")
        params = [booking.room_id, booking.room.site_id, moment(booking.ends_at), moment(booking.starts_at), *params]
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} ORDER BY 1, 5", params)
        rows = cursor.fetchall()
    closed = next((reason for what, _pk, _lapsed, reason, _start in rows if what == 0), None)
    lapsed = [pk for what, pk, is_lapsed, _reason, _start in rows if what == 1 and is_lapsed]
    clash = next((pk for what, pk, is_lapsed, _reason, _start in rows if what == 1 and not is_lapsed), None)
    return closed, lapsed, clash


def _insert_if_free(booking: Booking, *, closures: bool) -> bool:
    """Insert the new ``booking`` in one statement that also checks that no booking holds the room
    then (lapsed requests too: those are for ``_hold_room`` to let go) and, with ``closures``, that the
    room is not closed: True if it went in. The usual way in, a round trip shorter than asking first."""
    moment = connection.ops.adapt_datetimefield_value
    fields = [f for f in Booking._meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(booking, True), connection) for f in fields]
    sql = (f"INSERT INTO {Booking._meta.db_table} ({', '.join(connection.ops.quote_name(f.column) for f in fields)}) "
           f"SELECT {', '.join(['%s'] * len(fields))} WHERE NOT EXISTS (SELECT 1 FROM {Booking._meta.db_table} WHERE room_id = %s "
           f"AND status IN ({', '.join(['%s'] * len(HOLDING))}) AND starts_at < %s AND blocked_until > %s)")
    params = [*values, booking.room_id, *HOLDING, moment(booking.blocked_until), moment(booking.starts_at)]
    if closures:
        sql += (f" AND NOT EXISTS (SELECT 1 FROM {Closure._meta.db_table} WHERE (room_id = %s OR (room_id IS NULL AND "
                f"site_id = %s)) AND starts_at < %s AND ends_at > %s)")
        params += [booking.room_id, booking.room.site_id, moment(booking.ends_at), moment(booking.starts_at)]
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING id", params)
        row = cursor.fetchone()
    if row is None:
        return False
    booking.pk = row[0]
    booking._state.adding, booking._state.db = False, connection.alias
    return True


def _taken(pk: int, viewer) -> Conflict:
    """The refusal for a time taken by booking ``pk``: its times, and its title only if ``viewer`` may
    see that booking (their own, or one their role lets them open); anyone else is told the time is taken."""
    clash = Booking.objects.select_related("room__site__division", "organisation").get(pk=pk)
    times = {"start": timezone.localtime(clash.starts_at).strftime("%Y-%m-%d %H:%M"),
             "end": timezone.localtime(clash.ends_at).strftime("%H:%M")}
    if viewer is not None and getattr(viewer, "is_authenticated", False) and (
            clash.booker_id == viewer.pk or viewer.has_perm("scheduling.view_booking", clash)):
        return Conflict(_("The room is already booked from %(start)s to %(end)s (%(title)s).") % {**times, "title": clash.title},
                        code="already_booked")
    return Conflict(_("The room is already booked from %(start)s to %(end)s: that time is taken.") % times, code="already_booked")


def _hold_room(booking: Booking, *, now: datetime, excluding=(), viewer=None, closures: bool = False) -> Booking:
    """Insert (or move) ``booking`` if its room is free then; raise Conflict saying what is in the way
    (naming the booking only to a ``viewer`` who may see it). With ``closures``, a closure over the
    time is refused too, as the room's rules refuse it.

    The check and the write run in the caller's transaction. What makes them one step for
    everybody else is the database: SQLite runs write transactions one at a time (they begin
    IMMEDIATE), and PostgreSQL's exclusion constraint refuses the second of two overlapping
    bookings that passed the check at the same moment — it waits for the first to commit, then
    fails, and that failure becomes the same Conflict."""
    with transaction.atomic(savepoint=False):
        try:
            if booking.pk is None and _insert_if_free(booking, closures=closures):
                return booking
        except IntegrityError:  # the exclusion constraint caught a booking that slipped in at the same moment
            raise Conflict(_("The room was booked by someone else a moment ago."), code="already_booked") from None
        closed, lapsed, clash = _in_the_way(booking, now=now, excluding=excluding, closures=closures)
        if closed is not None:
            problem = _closed_then(closed)
            raise ValidationFailed(problem, fields={"starts_at": [problem]})
        for pk in lapsed:
            # The tick would have let it go; it must not stand in this request's way.
            held = Booking.objects.select_for_update(of=("self",)).select_related("room__site__division").get(pk=pk)
            if _lapsed(held.status, held.hold_expires_at, now):  # nobody let it go meanwhile
                _end_hold(held, BookingStatus.EXPIRED, now)
        if clash is not None:
            raise _taken(clash, viewer)
        try:
            # No savepoint of its own: a failed insert rolls back the caller's atomic block
            # (``booking_create`` and friends are atomic), which saves two round trips a booking.
            with transaction.atomic(savepoint=False):
                booking.save()
        except IntegrityError:
            # The exclusion constraint caught a booking that slipped in at the same moment.
            raise Conflict(_("The room was booked by someone else a moment ago."), code="already_booked") from None
    return booking


# Bookings.

def _check_may_book(actor, room: Room, policy: RoomPolicy, organisation: Organisation | None) -> set[str]:
    """The kinds of booker ``actor`` is here; PermissionDenied if none the room admits."""
    kinds = booker_kinds(actor, room, organisation)
    if not kinds & set(policy.bookers):
        raise PermissionDenied(_("This room cannot be booked by you (it is open to: %(who)s).") % {
            "who": "、".join(str(Booker(k).label) for k in policy.bookers)})
    return kinds


def booking_organisation(actor, room: Room, organisation: Organisation | None) -> Organisation | None:
    """The organisation a booking is made for: the one named, or — when ``actor`` may book this room only
    as the staff of an operator or charity serving it — that organisation, so the booking is the
    organisation's and its staff (the booker among them) can open it."""
    if organisation is not None or booker_kinds(actor, room, None) != {Booker.OPERATOR}:
        return organisation
    path = room.site.division.path
    return next((a.organisation for a in active_roles(actor)
                 if a.organisation_id and a.role in (Role.OPERATOR_STAFF, Role.CHARITY_STAFF)
                 and any(path.startswith(d.path) for d in a.organisation.served_divisions.all())), None)


def booking_create(
    *, actor, room: Room, start: datetime, end: datetime, title: str, attendees: int = 1,
    organisation: Organisation | None = None, purpose: str = "", kind: str = BookingKind.MEETING,
    now: datetime | None = None, origin: str = "", series: Series | None = None,
) -> Booking:
    """Book ``room`` for ``actor``. Who may book and the room's rules are read first, then one
    transaction checks closures and other bookings in one query, inserts, and writes the audit
    entry: the transaction (on SQLite, the database's write lock) lasts only for those."""
    now = now or timezone.now()
    policy = policy_for(room)
    kinds = _check_may_book(actor, room, policy, organisation)
    organisation = booking_organisation(actor, room, organisation)
    problems = rule_problems(room, policy, start, end, now=now, attendees=attendees)
    if problems:
        raise ValidationFailed(problems[0], fields={"starts_at": problems})
    needs_approval = policy.approval_required and Booker.STAFF not in kinds
    booking = Booking(
        room=room, series=series, title=title.strip() or str(_("Booking")), kind=kind, starts_at=start, ends_at=end,
        blocked_until=_blocked_until(policy, end), attendees=attendees, booker=actor, organisation=organisation,
        purpose=purpose, origin=origin,
        status=BookingStatus.PENDING if needs_approval else BookingStatus.CONFIRMED,
        hold_expires_at=min(now + timedelta(minutes=policy.hold_minutes), start) if needs_approval else None,
    )
    with transaction.atomic():
        _hold_room(booking, now=now, viewer=actor, closures=True)
        audit_record(actor=actor, action="scheduling.booking.created", target=booking, division=room.site.division,
                     organisation=organisation, changes={"room": room.pk, "starts_at": start, "ends_at": end, "status": booking.status})
    return booking


def _end_hold(booking: Booking, status: str, now: datetime, *, actor=None, note: str = "") -> None:
    """Take ``booking`` out of the room's schedule and offer its time to the waitlist."""
    booking.status = status
    if status in (BookingStatus.CANCELLED,):
        booking.cancelled_at, booking.cancel_reason = now, note[:200]
    booking.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    entry = getattr(booking, "waitlist_entry", None) if booking.origin.startswith("waitlist:") else None
    if entry is not None and status in (BookingStatus.EXPIRED, BookingStatus.CANCELLED):
        WaitlistEntry.objects.filter(pk=entry.pk).update(status=WaitlistEntry.Status.LAPSED)
    audit_record(actor=actor or "schedule", action=f"scheduling.booking.{status}", target=booking,
                 division=booking.room.site.division, organisation=booking.organisation, note=note)
    waitlist_offer(room=booking.room, start=max(booking.starts_at, now), end=booking.ends_at, now=now)


def _may_manage(actor, booking: Booking) -> bool:
    return booking.booker_id == actor.pk or actor.has_perm("scheduling.approve_booking", booking.room)


def _occurrences(booking: Booking, scope: str, now: datetime) -> list[Booking]:
    if scope == "one" or booking.series_id is None:
        return [booking]
    later = Booking.objects.select_for_update().filter(series_id=booking.series_id, status__in=HOLDING)
    if scope == "following":
        later = later.filter(starts_at__gte=booking.starts_at)
    elif scope == "series":
        later = later.filter(starts_at__gte=now)
    else:
        raise ValidationFailed(fields={"scope": [_("Choose one, following or series.")]})
    return list(later.select_related("room__site__division").order_by("starts_at"))


@transaction.atomic
def booking_cancel(*, actor, booking: Booking, scope: str = "one", reason: str = "", now: datetime | None = None) -> list[Booking]:
    """Cancel this occurrence, this and the following ones, or the rest of the series."""
    now = now or timezone.now()
    booking = Booking.objects.select_for_update(of=("self",)).select_related("room__site__division").get(pk=booking.pk)
    if not _may_manage(actor, booking):
        raise PermissionDenied(_("Only the person who booked, or the room's staff, can cancel this."))
    if booking.status not in HOLDING:
        raise Conflict(_("This booking is no longer active."))
    cancelled = _occurrences(booking, scope, now)
    for item in cancelled:
        _end_hold(item, BookingStatus.CANCELLED, now, actor=actor, note=reason)
    if booking.series_id and scope != "one":
        Series.objects.filter(pk=booking.series_id).update(ended_at=cancelled[0].starts_at if cancelled else now)
    if booking.booker_id != actor.pk:
        notify(user=booking.booker, title=_("Your booking of %(room)s was cancelled") % {"room": booking.room},
               body=reason, url=f"/scheduling/bookings/{booking.pk}/")
    return cancelled


@transaction.atomic
def booking_move(*, actor, booking: Booking, start: datetime, end: datetime, scope: str = "one",
                 now: datetime | None = None) -> list[Booking]:
    """Move this occurrence (or this and the following ones, or the rest of the series) to a new time.

    The shift from the old start to the new one, and the new length, apply to every occurrence
    moved. If any would collide or break the room's rules, nothing moves and every date is named.
    """
    now = now or timezone.now()
    booking = Booking.objects.select_for_update(of=("self",)).select_related("room__site__division").get(pk=booking.pk)
    if not _may_manage(actor, booking):
        raise PermissionDenied(_("Only the person who booked, or the room's staff, can change this."))
    if booking.status not in HOLDING:
        raise Conflict(_("This booking is no longer active."))
    shift, length = start - booking.starts_at, end - start
    moving = _occurrences(booking, scope, now)
    policy = policy_for(booking.room)
    problems, clashes = {}, []
    for item in moving:
        new_start = item.starts_at + shift
        new_end = new_start + length
        wrong = slot_problems(item.room, policy, new_start, new_end, now=now, attendees=item.attendees)
        if wrong:
            problems[timezone.localtime(new_start).strftime("%Y-%m-%d")] = wrong
        elif overlapping(item.room, new_start, _blocked_until(policy, new_end), excluding=moving).exists():
            clashes.append(timezone.localtime(new_start).strftime("%Y-%m-%d %H:%M"))
    if problems:
        raise ValidationFailed(_("Some occurrences cannot move there."), fields={day: msgs for day, msgs in problems.items()})
    if clashes:
        raise Conflict(_("The room is taken at: %(dates)s") % {"dates": "、".join(clashes)}, fields={"dates": clashes},
                       code="already_booked")
    for item in moving:
        before = (item.starts_at, item.ends_at)
        item.starts_at += shift
        item.ends_at = item.starts_at + length
        item.blocked_until = _blocked_until(policy, item.ends_at)
        _hold_room(item, now=now, excluding=moving, viewer=actor)
        audit_record(actor=actor, action="scheduling.booking.moved", target=item, division=item.room.site.division,
                     changes={"starts_at": [before[0], item.starts_at], "ends_at": [before[1], item.ends_at]})
    return moving


# Recurring bookings (RFC 5545).

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

@transaction.atomic
def booking_decide(*, actor, booking: Booking, approve: bool, note: str = "", now: datetime | None = None) -> Booking:
    now = now or timezone.now()
    booking = Booking.objects.select_for_update(of=("self",)).select_related("room__site__division").get(pk=booking.pk)
    if booking.status != BookingStatus.PENDING:
        raise Conflict(_("Only a request awaiting approval can be approved or rejected."))
    if booking.hold_expires_at and booking.hold_expires_at < now:
        _end_hold(booking, BookingStatus.EXPIRED, now)
        raise Conflict(_("The request expired before it was decided."))
    booking.decided_by, booking.decided_at, booking.decision_note = actor, now, note[:200]
    booking.save(update_fields=["decided_by", "decided_at", "decision_note"])
    if approve:
        booking.status, booking.hold_expires_at = BookingStatus.CONFIRMED, None
        booking.save(update_fields=["status", "hold_expires_at"])
        audit_record(actor=actor, action="scheduling.booking.approved", target=booking, division=booking.room.site.division, note=note)
        title = _("Your booking of %(room)s is approved") % {"room": booking.room}
    else:
        _end_hold(booking, BookingStatus.REJECTED, now, actor=actor, note=note)
        title = _("Your booking of %(room)s was not approved") % {"room": booking.room}
    notify(user=booking.booker, title=title, body=f"{timezone.localtime(booking.starts_at):%Y-%m-%d %H:%M} {note}".strip(),
           url=f"/scheduling/bookings/{booking.pk}/")
    return booking


# Check-in and no-shows.

@transaction.atomic
def booking_check_in(*, actor, booking: Booking, now: datetime | None = None) -> Booking:
    now = now or timezone.now()
    booking = Booking.objects.select_for_update(of=("self",)).select_related("room__site__division").get(pk=booking.pk)
    if not _may_manage(actor, booking):
        raise PermissionDenied(_("Only the person who booked, or the room's staff, can check in."))
    if booking.status != BookingStatus.CONFIRMED:
        raise Conflict(_("Only a confirmed booking can be checked in."))
    grace = timedelta(minutes=policy_for(booking.room).no_show_minutes)
    if now < booking.starts_at - CHECK_IN_EARLY:
        raise Conflict(_("Check-in opens 30 minutes before the start."))
    if now > booking.starts_at + grace:
        raise Conflict(_("Too late: the booking was released %(n)s minutes after its start.") % {"n": grace.seconds // 60})
    booking.status, booking.checked_in_at, booking.checked_in_by = BookingStatus.CHECKED_IN, now, actor
    booking.save(update_fields=["status", "checked_in_at", "checked_in_by"])
    audit_record(actor=actor, action="scheduling.booking.checked_in", target=booking, division=booking.room.site.division)
    return booking


# Bookings that hold a room for an event with a check-in of its own — an activity's session (its
# attendance), a service order (its delivery): ``(model label, field)`` pairs, declared by the apps
# that hold them with ``event_check_ins``. Such an event's first check-in is the booking's
# (``booking_record_check_in``), and it can come until the event ends.
EVENT_HOLDERS: list[tuple[str, str]] = []


def event_check_ins(model: str, field: str) -> None:
    """Declare that ``model.field`` holds a booking whose check-in is recorded by its event, not at the room."""
    if (model, field) not in EVENT_HOLDERS:
        EVENT_HOLDERS.append((model, field))


def _held_by_an_event() -> Q | Exists | None:
    from django.apps import apps

    held = None
    for label, field in EVENT_HOLDERS:
        holds = Exists(apps.get_model(label).objects.filter(**{field: OuterRef("pk")}))
        held = holds if held is None else held | holds
    return held


@transaction.atomic
def booking_record_check_in(*, booking: Booking | None, at: datetime, by=None, source: str = "") -> bool:
    """Count the first check-in at the event ``booking`` holds the room for (a resident checked in at an
    activity, an order delivered) as the booking's check-in, so the room is not released as a no-show.
    ``source`` says, in a person's words, where it was checked in. A booking already released as a
    no-show is taken back as checked in when its room was not given to anyone else meanwhile.
    True when the booking changed."""
    if booking is None or booking.status == BookingStatus.CHECKED_IN:
        return False  # later check-ins change nothing (the lock is not taken for them)
    booking = Booking.objects.select_for_update(of=("self",)).select_related("room__site__division").get(pk=booking.pk)
    by = by if getattr(by, "is_authenticated", False) else None
    if booking.status == BookingStatus.CONFIRMED:
        booking.status, booking.checked_in_at, booking.checked_in_by = BookingStatus.CHECKED_IN, at, by
        booking.save(update_fields=["status", "checked_in_at", "checked_in_by"])
        note = source
    elif booking.status == BookingStatus.RELEASED and booking.no_show:
        _closed, lapsed, clash = _in_the_way(booking, now=at)
        if clash is not None or lapsed:
            return False  # the room went to someone else once released
        booking.status, booking.no_show, booking.checked_in_at, booking.checked_in_by = BookingStatus.CHECKED_IN, False, at, by
        try:
            with transaction.atomic():
                booking.save(update_fields=["status", "no_show", "checked_in_at", "checked_in_by"])
        except IntegrityError:  # someone took the room at this moment (the exclusion constraint)
            return False
        note = str(_("%(source)s (after it had been released as a no-show)") % {"source": source})
    else:
        return False
    audit_record(actor=by or "schedule", action="scheduling.booking.checked_in", target=booking,
                 division=booking.room.site.division, organisation=booking.organisation, note=note)
    return True


def no_shows_release(*, now: datetime | None = None) -> int:
    """Release confirmed bookings nobody checked in to within the room's grace time. A booking held for
    an event with a check-in of its own (``EVENT_HOLDERS``) waits until it ends: its check-in comes
    from the event, as long as the event lasts."""
    now = now or timezone.now()
    released = 0
    candidates = Booking.objects.filter(status=BookingStatus.CONFIRMED, starts_at__lt=now, kind__in=[
        BookingKind.MEETING, BookingKind.ACTIVITY, BookingKind.SERVICE]).select_related("room__policy", "room__site__division")
    held = _held_by_an_event()
    if held is not None:
        candidates = candidates.annotate(held_by_event=held)
    for booking in candidates.iterator(chunk_size=500):
        if getattr(booking, "held_by_event", False):
            if booking.ends_at > now:
                continue
        elif booking.starts_at + timedelta(minutes=policy_for(booking.room).no_show_minutes) > now:
            continue
        with transaction.atomic():
            locked = Booking.objects.select_for_update().get(pk=booking.pk)
            if locked.status != BookingStatus.CONFIRMED:
                continue
            locked.no_show = True
            locked.save(update_fields=["no_show"])
            _end_hold(locked, BookingStatus.RELEASED, now, note=str(_("Nobody checked in.")))
            released += 1
    return released


def holds_expire(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    count = 0
    for booking in Booking.objects.filter(status__in=[BookingStatus.PENDING, BookingStatus.OFFERED], hold_expires_at__lt=now):
        with transaction.atomic():
            locked = Booking.objects.select_for_update(of=("self",)).select_related("room__site__division").get(pk=booking.pk)
            if locked.status in (BookingStatus.PENDING, BookingStatus.OFFERED) and locked.hold_expires_at < now:
                _end_hold(locked, BookingStatus.EXPIRED, now)
                count += 1
    return count


# Waitlist.

@transaction.atomic
def waitlist_join(*, actor, room: Room, start: datetime, end: datetime, title: str, attendees: int = 1,
                  organisation: Organisation | None = None, now: datetime | None = None) -> WaitlistEntry:
    now = now or timezone.now()
    policy = policy_for(room)
    _check_may_book(actor, room, policy, organisation)
    organisation = booking_organisation(actor, room, organisation)
    problems = slot_problems(room, policy, start, end, now=now, attendees=attendees)
    if problems:
        raise ValidationFailed(problems[0], fields={"starts_at": problems})
    if not overlapping(room, start, _blocked_until(policy, end)).exists():
        raise Conflict(_("The room is free then: book it instead of waiting."), code="free")
    if WaitlistEntry.objects.filter(room=room, user=actor, starts_at=start, ends_at=end, status=WaitlistEntry.Status.WAITING).exists():
        raise Conflict(_("You are already waiting for this slot."))
    entry = WaitlistEntry.objects.create(room=room, starts_at=start, ends_at=end, title=title.strip() or str(_("Booking")),
                                         attendees=attendees, user=actor, organisation=organisation)
    audit_record(actor=actor, action="scheduling.waitlist.joined", target=entry, division=room.site.division)
    return entry


def waitlist_offer(*, room: Room, start: datetime, end: datetime, now: datetime) -> Booking | None:
    """Offer freed time to the first person waiting for a slot inside it (the room must be free)."""
    if end <= start:
        return None
    policy = policy_for(room)
    for entry in WaitlistEntry.objects.select_for_update().filter(
            room=room, status=WaitlistEntry.Status.WAITING, starts_at__gte=start, ends_at__lte=end,
            starts_at__gt=now).select_related("user").order_by("created_at", "id"):
        if overlapping(room, entry.starts_at, _blocked_until(policy, entry.ends_at)).exists():
            continue
        minutes = int(param(division=room.site.division, key="scheduling.offer_minutes"))
        booking = Booking(room=room, title=entry.title, starts_at=entry.starts_at, ends_at=entry.ends_at,
                          blocked_until=_blocked_until(policy, entry.ends_at), attendees=entry.attendees,
                          booker=entry.user, organisation=entry.organisation, status=BookingStatus.OFFERED,
                          hold_expires_at=min(now + timedelta(minutes=minutes), entry.starts_at), origin=f"waitlist:{entry.pk}")
        _hold_room(booking, now=now)
        entry.status, entry.booking = WaitlistEntry.Status.OFFERED, booking
        entry.save(update_fields=["status", "booking"])
        notify(user=entry.user, title=_("%(room)s is free for you: confirm within %(n)s minutes") % {"room": room, "n": minutes},
               body=f"{timezone.localtime(entry.starts_at):%Y-%m-%d %H:%M}–{timezone.localtime(entry.ends_at):%H:%M}",
               url=f"/scheduling/bookings/{booking.pk}/")
        audit_record(actor="schedule", action="scheduling.waitlist.offered", target=booking, division=room.site.division)
        return booking
    return None


@transaction.atomic
def offer_accept(*, actor, booking: Booking, now: datetime | None = None) -> Booking:
    now = now or timezone.now()
    booking = Booking.objects.select_for_update(of=("self",)).select_related("room__site__division").get(pk=booking.pk)
    if booking.booker_id != actor.pk:
        raise PermissionDenied(_("This offer is for someone else."))
    if booking.status != BookingStatus.OFFERED or (booking.hold_expires_at and booking.hold_expires_at < now):
        raise Conflict(_("This offer is no longer open."))
    policy = policy_for(booking.room)
    booking.status = BookingStatus.PENDING if policy.approval_required and Booker.STAFF not in booker_kinds(
        actor, booking.room, booking.organisation) else BookingStatus.CONFIRMED
    booking.hold_expires_at = booking.hold_expires_at if booking.status == BookingStatus.PENDING else None
    booking.save(update_fields=["status", "hold_expires_at"])
    WaitlistEntry.objects.filter(booking=booking).update(status=WaitlistEntry.Status.DONE)
    audit_record(actor=actor, action="scheduling.waitlist.accepted", target=booking, division=booking.room.site.division)
    return booking


# Department rotation (部门轮值) [Quanzhou].

def rotation_slots(slots: list[dict]) -> list[dict]:
    checked = []
    for slot in slots:
        try:
            weekday, start, end = int(slot["weekday"]), time.fromisoformat(slot["start"]), time.fromisoformat(slot["end"])
        except (KeyError, ValueError, TypeError):
            raise ValidationFailed(fields={"slots": [_("Each slot needs a weekday (1–7), a start and an end such as 09:00.")]}) from None
        if not 1 <= weekday <= 7 or end <= start:
            raise ValidationFailed(fields={"slots": [_("Each slot needs a weekday (1–7), a start and an end such as 09:00.")]})
        checked.append({"weekday": weekday, "start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")})
    if not checked:
        raise ValidationFailed(fields={"slots": [_("Give at least one weekly slot.")]})
    return sorted(checked, key=lambda s: (s["weekday"], s["start"]))


def weekly_occurrences(slots: list[dict], starts_on: date, ends_on: date) -> list[tuple[datetime, datetime]]:
    """Every occurrence of checked weekly ``slots`` (see ``rotation_slots``) from ``starts_on`` to ``ends_on``, in order."""
    tz = timezone.get_current_timezone()
    by_weekday: dict[int, list[dict]] = {}
    for slot in slots:
        by_weekday.setdefault(slot["weekday"], []).append(slot)
    occurrences = []
    day = starts_on
    while day <= ends_on:
        for slot in by_weekday.get(day.isoweekday(), ()):
            occurrences.append((datetime.combine(day, time.fromisoformat(slot["start"]), tzinfo=tz),
                                datetime.combine(day, time.fromisoformat(slot["end"]), tzinfo=tz)))
        day += timedelta(days=1)
    return occurrences


def weekly_clashes(room: Room, occurrences: list[tuple[datetime, datetime]], *, now: datetime,
                   excluding_origin: str = "") -> list[tuple[datetime, str]]:
    """The occurrences that collide with bookings holding ``room`` (start and the title in the way).

    Reads the room's holding bookings over the whole span once and sweeps both lists in order,
    so a term of years costs one query. Lapsed requests do not count (the tick lets them go)."""
    if not occurrences:
        return []
    policy = policy_for(room)
    held = overlapping(room, occurrences[0][0], _blocked_until(policy, occurrences[-1][1]))
    if excluding_origin:
        held = held.exclude(origin=excluding_origin)
    busy = [(starts_at, blocked_until, title) for starts_at, blocked_until, title, status, hold_expires_at in
            held.order_by("starts_at").values_list("starts_at", "blocked_until", "title", "status", "hold_expires_at")
            if not _lapsed(status, hold_expires_at, now)]
    clashes, first = [], 0
    for start, end in occurrences:
        blocked = _blocked_until(policy, end)
        while first < len(busy) and busy[first][1] <= start:
            first += 1
        for busy_start, busy_until, title in busy[first:]:
            if busy_start >= blocked:
                break
            if busy_until > start:
                clashes.append((start, title))
                break
    return clashes


@transaction.atomic
def weekly_hold(*, actor, room: Room, title: str, slots: list[dict], starts_on: date, ends_on: date, origin: str,
                organisation: Organisation | None = None, kind: str = BookingKind.AGREEMENT,
                now: datetime | None = None) -> list[Booking]:
    """Hold ``room`` at the weekly ``slots`` from ``starts_on`` to ``ends_on`` (what is still ahead), all or nothing.

    Used when a room's hours are given over for a long term (a space-for-service agreement):
    one query finds every clash, and the bookings go in as one insert. A clash refuses the
    whole hold, naming the first dates; on PostgreSQL the exclusion constraint still refuses a
    booking that slipped in meanwhile, and that refusal is the same Conflict."""
    now = now or timezone.now()
    occurrences = [(start, end) for start, end in weekly_occurrences(rotation_slots(slots), starts_on, ends_on) if start >= now]
    clashes = weekly_clashes(room, occurrences, now=now)
    if clashes:
        dates = [f"{timezone.localtime(start):%Y-%m-%d %H:%M}（{title}）" for start, title in clashes[:5]]
        raise Conflict(_("%(room)s is already booked at %(n)s of these times, e.g. %(dates)s") % {
            "room": room, "n": len(clashes), "dates": "、".join(dates)}, fields={"hours": dates}, code="already_booked")
    policy = policy_for(room)
    bookings = [Booking(room=room, title=title, kind=kind, starts_at=start, ends_at=end, blocked_until=_blocked_until(policy, end),
                        booker=actor, organisation=organisation, status=BookingStatus.CONFIRMED, origin=origin)
                for start, end in occurrences]
    try:
        with transaction.atomic():
            Booking.objects.bulk_create(bookings, batch_size=2000)
    except IntegrityError:
        raise Conflict(_("The room was booked by someone else a moment ago."), code="already_booked") from None
    if bookings:
        audit_record(actor=actor, action="scheduling.bookings.held", target=room, division=room.site.division,
                     organisation=organisation, changes={"origin": origin, "bookings": len(bookings),
                                                         "from": bookings[0].starts_at, "until": bookings[-1].ends_at})
    return bookings


@transaction.atomic
def weekly_release(*, actor, origin: str, after: datetime, reason: str, now: datetime | None = None) -> int:
    """Cancel every booking of ``origin`` that starts after ``after``; freed times go to the waitlist."""
    now = now or timezone.now()
    released = list(Booking.objects.select_for_update(of=("self",)).filter(origin=origin, status__in=HOLDING, starts_at__gte=after)
                    .select_related("room__site__division"))
    if not released:
        return 0
    Booking.objects.filter(pk__in=[b.pk for b in released]).update(status=BookingStatus.CANCELLED, cancelled_at=now,
                                                                    cancel_reason=reason[:200])
    rooms = {b.room_id: b.room for b in released}
    waiting = set(WaitlistEntry.objects.filter(room_id__in=rooms, status=WaitlistEntry.Status.WAITING,
                                               starts_at__gte=after).values_list("room_id", flat=True))
    for booking in released:
        if booking.room_id in waiting:
            waitlist_offer(room=booking.room, start=max(booking.starts_at, now), end=booking.ends_at, now=now)
    for room in rooms.values():
        audit_record(actor=actor, action="scheduling.bookings.released", target=room, division=room.site.division,
                     changes={"origin": origin, "bookings": sum(1 for b in released if b.room_id == room.pk)}, note=reason)
    return len(released)


@transaction.atomic
def rotation_create(*, actor, room: Room, name: str, slots: list[dict], departments: list[Organisation], starts_on: date,
                    ends_on: date, now: datetime | None = None) -> tuple[Rotation, list[Booking], list[str]]:
    """Share ``room`` among ``departments`` in turn, slot after slot; their bookings are made now.

    Slots that collide with an existing booking are left out and named."""
    now = now or timezone.now()
    if not departments or any(d.kind != OrganisationKind.DEPARTMENT for d in departments):
        raise ValidationFailed(fields={"departments": [_("A rotation is among government departments.")]})
    if ends_on < starts_on or (ends_on - starts_on).days > 366:
        raise ValidationFailed(fields={"ends_on": [_("A rotation runs for at most a year, and ends after it starts.")]})
    slots = rotation_slots(slots)
    rotation = Rotation.objects.create(room=room, name=name.strip(), slots=slots, starts_on=starts_on, ends_on=ends_on, created_by=actor)
    RotationMember.objects.bulk_create([RotationMember(rotation=rotation, department=d, position=i) for i, d in enumerate(departments)])
    policy = policy_for(room)
    bookings, skipped = [], []
    for turn, (start, end) in enumerate(weekly_occurrences(slots, starts_on, ends_on)):
        department = departments[turn % len(departments)]
        if start < now:
            continue
        booking = Booking(room=room, title=f"{name}：{department.name}", kind=BookingKind.ROTATION, starts_at=start,
                          ends_at=end, blocked_until=_blocked_until(policy, end), booker=actor, organisation=department,
                          status=BookingStatus.CONFIRMED, origin=f"rotation:{rotation.pk}")
        try:
            with transaction.atomic():
                bookings.append(_hold_room(booking, now=now))
        except Conflict:
            skipped.append(start.strftime("%Y-%m-%d %H:%M"))
    audit_record(actor=actor, action="scheduling.rotation.created", target=rotation, division=room.site.division,
                 changes={"departments": [d.name for d in departments], "booked": len(bookings), "skipped": skipped})
    audit_record_many(actor=actor, action="scheduling.booking.created", note=f"rotation:{rotation.pk}",
                      entries=[(b, room.site.division, {"starts_at": b.starts_at, "department": b.organisation.name}) for b in bookings])
    return rotation, bookings, skipped


# Rules and closures kept by the community.

POLICY_FIELDS = {"bookable", "bookable_hours", "min_minutes", "max_minutes", "slot_minutes", "buffer_minutes", "horizon_days",
                 "bookers", "approval_required", "hold_minutes", "no_show_minutes"}


@transaction.atomic
def policy_update(*, actor, room: Room, data: dict) -> RoomPolicy:
    policy = policy_for(room)
    fields = sorted(data)
    before = snapshot(policy, fields)
    assign(policy, data, allowed=POLICY_FIELDS)
    unknown = set(policy.bookers) - set(Booker.values)
    if unknown or not policy.bookers:
        raise ValidationFailed(fields={"bookers": [_("Choose who may book: staff, departments, operators, residents.")]})
    clean_or_raise(policy)
    policy.save()
    changes = diff(before, snapshot(policy, fields))
    if changes:
        audit_record(actor=actor, action="scheduling.policy.updated", target=policy, division=room.site.division, changes=changes)
    return policy


@transaction.atomic
def closure_create(*, actor, site, room: Room | None, start: datetime, end: datetime, reason: str,
                   cancel_bookings: bool = False, now: datetime | None = None) -> Closure:
    """Close a room or a whole site; bookings in the way are refused, or cancelled when asked."""
    now = now or timezone.now()
    if end <= start:
        raise ValidationFailed(fields={"ends_at": [_("The closure must end after it starts.")]})
    if room is not None and room.site_id != site.pk:
        raise ValidationFailed(fields={"room": [_("This room is not in this site.")]})
    affected = Booking.objects.filter(room__site=site, status__in=HOLDING, starts_at__lt=end, ends_at__gt=start).select_related("booker", "room")
    if room is not None:
        affected = affected.filter(room=room)
    affected = list(affected)
    if affected and not cancel_bookings:
        raise Conflict(_("%(n)s bookings fall in this time; cancel them with the closure, or choose another time.") % {"n": len(affected)},
                       fields={"bookings": [f"{b.room.name} {timezone.localtime(b.starts_at):%Y-%m-%d %H:%M}" for b in affected]})
    closure = Closure.objects.create(site=site, room=room, starts_at=start, ends_at=end, reason=reason.strip(), created_by=actor)
    for booking in affected:
        _end_hold(booking, BookingStatus.CANCELLED, now, actor=actor, note=reason)
        notify(user=booking.booker, title=_("Your booking of %(room)s was cancelled") % {"room": booking.room},
               body=str(_("The room is closed: %(reason)s") % {"reason": reason}), url=f"/scheduling/bookings/{booking.pk}/")
    audit_record(actor=actor, action="scheduling.closure.created", target=closure, division=site.division,
                 changes={"room": room.pk if room else None, "from": start, "until": end, "cancelled": len(affected)})
    return closure
