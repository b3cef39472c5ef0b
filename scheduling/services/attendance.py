"""Approvals, check-ins (at the room, or recorded by the activity or order the booking is held for), no-shows released and lapsed holds ended."""

from datetime import datetime, timedelta

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from core.errors import Conflict, PermissionDenied
from notifications.services import notify

from ..models import (
    Booking,
    BookingKind,
    BookingStatus,
)
from .bookings import _end_hold, _in_the_way, _may_manage
from .open_resources import may_decide
from .rules import CHECK_IN_EARLY, policy_for, taken_meanwhile


@transaction.atomic
def booking_decide(*, actor, booking: Booking, approve: bool, note: str = "", now: datetime | None = None) -> Booking:
    now = now or timezone.now()
    booking = Booking.objects.select_for_update(of=("self",)).select_related("room__site__division").get(pk=booking.pk)
    allowed, resource = may_decide(actor, booking.room_id)
    if not allowed:  # a unit's open resource: its staff decide, nobody else
        raise PermissionDenied(_("Only the staff of %(unit)s can approve or refuse requests for its resources.")
                               % {"unit": resource.unit.name})
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
        except (IntegrityError, OperationalError) as error:
            if not taken_meanwhile(error):
                raise
            return False  # someone took the room at this moment
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

