"""The waitlist of a taken slot, offered in turn when it frees."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from core.errors import Conflict, PermissionDenied, ValidationFailed
from notifications.services import notify
from org.models import Organisation
from registry.models import Room
from rulepack.selectors import param

from ..models import (
    Booker,
    Booking,
    BookingStatus,
    WaitlistEntry,
)
from .bookings import _check_may_book, _hold_room, booking_organisation
from .rules import _blocked_until, booker_kinds, overlapping, policy_for, slot_problems


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

