"""Weekly holds (agreements' hours) and rotations among departments, booked week by week and released."""

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record, audit_record_many
from core.errors import Conflict, ValidationFailed
from org.models import Organisation, OrganisationKind
from registry.models import Room

from ..models import (
    HOLDING,
    Booking,
    BookingKind,
    BookingStatus,
    Rotation,
    RotationMember,
    WaitlistEntry,
)
from .bookings import _hold_room, _lapsed
from .rules import _blocked_until, overlapping, policy_for, refused_when_taken
from .waitlist import waitlist_offer


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
    with refused_when_taken(), transaction.atomic():
        Booking.objects.bulk_create(bookings, batch_size=2000)
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

