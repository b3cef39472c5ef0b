"""Changing a room's booking rules, and closures of a site or a room."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record, diff, snapshot
from core.errors import Conflict, ValidationFailed
from core.services import assign, clean_or_raise
from notifications.services import notify
from registry.models import Room

from ..models import (
    HOLDING,
    Booker,
    Booking,
    BookingStatus,
    Closure,
    RoomPolicy,
)
from .bookings import _end_hold
from .rules import policy_for

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
