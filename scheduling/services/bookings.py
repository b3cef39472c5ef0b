"""Bookings: made in one statement that inserts only if nothing is in the way, cancelled and moved; a refusal names only what the person may see."""

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.permissions import active_roles, visible_to
from audit.models import AuditEvent
from audit.services import audit_event, audit_record
from core.errors import Conflict, PermissionDenied, ValidationFailed
from notifications.services import notify
from org.models import Organisation
from registry.models import Room, SiteKind

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
    refused_when_taken,
    rule_problems,
    slot_problems,
)


def _lapsed(status: str, hold_expires_at: datetime | None, now: datetime) -> bool:
    """A request or waitlist offer whose hold ran out: it no longer blocks the room."""
    return status in (BookingStatus.PENDING, BookingStatus.OFFERED) and hold_expires_at is not None and hold_expires_at < now


@dataclass(frozen=True)
class Clash:
    """A booking holding the room at the time asked for: what a refusal may say of it."""
    pk: int
    starts_at: datetime
    ends_at: datetime
    booker_id: int | None
    title: str


def _in_the_way(booking: Booking, *, now: datetime, excluding=(), closures: bool = False) -> tuple[str | None, list[int], Clash | None]:
    """What stands between ``booking`` and its room, in one query: the reason of a closure over its
    time (when ``closures`` is asked), the lapsed requests and offers in its way (the tick would
    have let them go), and the first other booking holding the room then."""
    moment = connection.ops.adapt_datetimefield_value
    pending = (BookingStatus.PENDING, BookingStatus.OFFERED)
    sql = (f"SELECT 1, id, CASE WHEN status IN (%s, %s) AND hold_expires_at < %s THEN 1 ELSE 0 END, '', starts_at, ends_at, "
           f"booker_id, title FROM {Booking._meta.db_table} WHERE room_id = %s AND status IN ({', '.join(['%s'] * len(HOLDING))}) "
           f"AND starts_at < %s AND blocked_until > %s")
    params = [*pending, moment(now), booking.room_id, *HOLDING, moment(booking.blocked_until), moment(booking.starts_at)]
    others = [b.pk for b in excluding if b.pk is not None] + ([booking.pk] if booking.pk is not None else [])
    if others:
        sql += f" AND id NOT IN ({', '.join(['%s'] * len(others))})"
        params += others
    if closures:
        sql = (f"SELECT 0, id, 0, reason, starts_at, ends_at, NULL, '' FROM {Closure._meta.db_table} WHERE (room_id = %s OR "
               f"(room_id IS NULL AND site_id = %s)) AND starts_at < %s AND ends_at > %s UNION ALL {sql}")
        params = [booking.room_id, booking.room.site_id, moment(booking.ends_at), moment(booking.starts_at), *params]
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} ORDER BY 1, 5", params)
        rows = cursor.fetchall()
    closed = next((row[3] for row in rows if row[0] == 0), None)
    lapsed = [row[1] for row in rows if row[0] == 1 and row[2]]
    clash = next((row for row in rows if row[0] == 1 and not row[2]), None)
    if clash is not None:
        convert = connection.ops.convert_datetimefield_value if connection.vendor == "sqlite" else None
        starts_at, ends_at = (clash[4], clash[5]) if convert is None else (
            convert(clash[4], None, connection), convert(clash[5], None, connection))
        clash = Clash(pk=clash[1], starts_at=starts_at, ends_at=ends_at, booker_id=clash[6], title=clash[7])
    return closed, lapsed, clash


@cache
def _insert_fields(model, vendor: str) -> tuple[list, list[str]]:
    """The fields a new row of ``model`` is written with, and their quoted columns (asked once)."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    return fields, [connection.ops.quote_name(f.column) for f in fields]


def _insert_values(instance) -> tuple[list[str], list]:
    """The quoted columns and the database values of a new ``instance``, as ``Model.save`` would write them."""
    db = connections[DEFAULT_DB_ALIAS]  # the connection itself, not its proxy: asked for many values at once
    fields, columns = _insert_fields(type(instance), db.vendor)
    return list(columns), [f.get_db_prep_save(f.pre_save(instance, True), db) for f in fields]


def _insert_if_free(booking: Booking, *, closures: bool, audit: AuditEvent | None = None) -> bool:
    """Insert the new ``booking`` in one statement that also checks that no booking holds the room
    then (lapsed requests too: those are for ``_hold_room`` to let go) and, with ``closures``, that the
    room is not closed: True if it went in. The usual way in, a round trip shorter than asking first.

    With ``audit`` (PostgreSQL only), the same statement writes that audit entry, pointing at the
    new booking, so booking and entry go in together or not at all without a transaction of their
    own: one round trip for the whole booking, where BEGIN, two INSERTs and COMMIT take four."""
    moment = connection.ops.adapt_datetimefield_value
    columns, values = _insert_values(booking)
    sql = (f"INSERT INTO {Booking._meta.db_table} ({', '.join(columns)}) "
           f"SELECT {', '.join(['%s'] * len(columns))} WHERE NOT EXISTS (SELECT 1 FROM {Booking._meta.db_table} WHERE room_id = %s "
           f"AND status IN ({', '.join(['%s'] * len(HOLDING))}) AND starts_at < %s AND blocked_until > %s)")
    params = [*values, booking.room_id, *HOLDING, moment(booking.blocked_until), moment(booking.starts_at)]
    if closures:
        sql += (f" AND NOT EXISTS (SELECT 1 FROM {Closure._meta.db_table} WHERE (room_id = %s OR (room_id IS NULL AND "
                f"site_id = %s)) AND starts_at < %s AND ends_at > %s)")
        params += [booking.room_id, booking.room.site_id, moment(booking.ends_at), moment(booking.starts_at)]
    sql += " RETURNING id"
    if audit is not None:
        entry_columns, entry_values = _insert_values(audit)
        target = entry_columns.index(connection.ops.quote_name("target_id"))
        entry_values[target] = None
        placeholders = ["%s"] * len(entry_columns)
        placeholders[target] = "CAST(booked.id AS varchar)"
        sql = (f"WITH booked AS ({sql}) INSERT INTO {AuditEvent._meta.db_table} ({', '.join(entry_columns)}) "
               f"SELECT {', '.join(placeholders)} FROM booked RETURNING (SELECT id FROM booked), id")
        params += [v for i, v in enumerate(entry_values) if i != target]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    booking.pk = row[0]
    booking._state.adding, booking._state.db = False, connection.alias
    if audit is not None:
        audit.pk, audit.target_id = row[1], str(booking.pk)
        audit._state.adding, audit._state.db = False, connection.alias
    return True


def _taken(clash: Clash, viewer) -> Conflict:
    """The refusal for a time taken by ``clash``: its times, and its title only if ``viewer`` may see
    that booking (their own, or one their role lets them open: the rule of ``scheduling.view_booking``,
    asked of the database for this one row); anyone else is told the time is taken."""
    times = {"start": timezone.localtime(clash.starts_at).strftime("%Y-%m-%d %H:%M"),
             "end": timezone.localtime(clash.ends_at).strftime("%H:%M")}
    if viewer is not None and getattr(viewer, "is_authenticated", False) and (
            clash.booker_id == viewer.pk or visible_to(viewer, "scheduling.view_booking", Booking.objects.filter(pk=clash.pk)).exists()):
        return Conflict(_("The room is already booked from %(start)s to %(end)s (%(title)s).") % {**times, "title": clash.title},
                        code="already_booked")
    return Conflict(_("The room is already booked from %(start)s to %(end)s: that time is taken.") % times, code="already_booked")


def _hold_room(booking: Booking, *, now: datetime, excluding=(), viewer=None, closures: bool = False,
               tried: bool = False) -> Booking:
    """Insert (or move) ``booking`` if its room is free then; raise Conflict saying what is in the way
    (naming the booking only to a ``viewer`` who may see it). With ``closures``, a closure over the
    time is refused too, as the room's rules refuse it. ``tried``: the caller has just tried
    ``_insert_if_free`` and it found something in the way.

    The check and the write run in the caller's transaction. What makes them one step for
    everybody else is the database: SQLite runs write transactions one at a time (they begin
    IMMEDIATE), and PostgreSQL's exclusion constraint refuses the second of two overlapping
    bookings that passed the check at the same moment — it waits for the first to commit, then
    fails, and that failure becomes the same Conflict."""
    with transaction.atomic(savepoint=False):
        with refused_when_taken():
            if booking.pk is None and not tried and _insert_if_free(booking, closures=closures):
                return booking
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
        # No savepoint of its own: a failed insert rolls back the caller's atomic block
        # (``booking_create`` and friends are atomic), which saves two round trips a booking.
        with refused_when_taken(), transaction.atomic(savepoint=False):
            booking.save()
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
    # Staff book their own rooms without asking; a shared external resource (a unit's) asks its owner even for them.
    needs_approval = policy.approval_required and (Booker.STAFF not in kinds or room.site.kind == SiteKind.SHARED_EXTERNAL)
    booking = Booking(
        room=room, series=series, title=title.strip() or str(_("Booking")), kind=kind, starts_at=start, ends_at=end,
        blocked_until=_blocked_until(policy, end), attendees=attendees, booker=actor, organisation=organisation,
        purpose=purpose, origin=origin,
        status=BookingStatus.PENDING if needs_approval else BookingStatus.CONFIRMED,
        hold_expires_at=min(now + timedelta(minutes=policy.hold_minutes), start) if needs_approval else None,
    )
    entry = audit_event(actor=actor, action="scheduling.booking.created", target=booking, division=room.site.division,
                        organisation=organisation, changes={"room": room.pk, "starts_at": start, "ends_at": end, "status": booking.status})
    if connection.vendor == "postgresql":
        # The usual case in one statement: the booking, if nothing is in its way, and its audit entry.
        # Inside a caller's transaction, a savepoint keeps a refused statement from spoiling it.
        with refused_when_taken(), transaction.atomic() if connection.in_atomic_block else nullcontext():
            if _insert_if_free(booking, closures=True, audit=entry):
                return booking
        # Something is in the way. A closure or a booking holding the room is said at once, without
        # a transaction; lapsed holds to let go (or nothing, if it went meanwhile) take the long way.
        closed, lapsed, clash = _in_the_way(booking, now=now, closures=True)
        if closed is not None:
            problem = _closed_then(closed)
            raise ValidationFailed(problem, fields={"starts_at": [problem]})
        if clash is not None and not lapsed:
            raise _taken(clash, actor)
    with transaction.atomic():
        # Something was in the way (or SQLite, whose transactions cost no round trip): say what, or
        # let lapsed holds go and book.
        _hold_room(booking, now=now, viewer=actor, closures=True, tried=connection.vendor == "postgresql")
        entry.target_id = str(booking.pk)
        entry.save(force_insert=True)
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

