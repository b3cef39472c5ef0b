"""Bookings: made in one statement that inserts only if nothing is in the way, cancelled and moved; a refusal names only what the person may see."""

from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.permissions import active_roles
from audit.services import audit_record
from core.errors import Conflict, PermissionDenied, ValidationFailed
from notifications.services import notify
from org.models import Organisation
from registry.models import Room

from ..models import (
    HOLDING,
    Booker,
    Booking,
    BookingKind,
    BookingStatus,
    Closure,
    RoomPolicy,
    Series,
    WaitlistEntry,
)
from .rules import (
    _blocked_until,
    _closed_then,
    booker_kinds,
    overlapping,
    policy_for,
    rule_problems,
    slot_problems,
)


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
    from .waitlist import waitlist_offer  # the waitlist books through this file

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

