"""Activities with their sessions: publishing, cancelling, registrations with their waitlist (never overbooked), and check-ins, which check in the room booked for the session."""

import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from core.errors import Conflict, PermissionDenied
from notifications.services import notify
from org.models import Division, DivisionLevel, Organisation
from rulepack.selectors import param

from ..models import (
    Activity,
    ActivityKind,
    ActivitySession,
    ActivityStatus,
    Attendance,
    CheckInMethod,
    Registration,
    RegistrationStatus,
    ServiceCategory,
    ServiceTier,
)
from .base import (
    _choice,
    _require_resident_of,
    _text,
    invalid,
    operator_of,
    operator_serves,
    rule_value,
    staff_reaches,
)


def _check_price(community: Division, tier: str, price: Decimal) -> Decimal:
    price = Decimal(price).quantize(Decimal("0.01"))
    if price < 0:
        raise invalid("price", _("The price cannot be negative."))
    if tier == ServiceTier.FREE and price != 0:
        raise invalid("price", _("A free activity costs nothing."))
    # The same cap as the low-cost services of space-for-service agreements [Huli], read from space for service.
    from operations.services import low_cost_cap

    cap = low_cost_cap(community, None, None)
    if tier == ServiceTier.LOW_COST and cap is not None and price > cap:
        raise invalid("price", _("A low-cost activity costs at most ¥%(cap)s a person.") % {"cap": cap})
    return price


def _check_room(community: Division, room, capacity: int) -> None:
    where = room.site.division
    if not (community.path.startswith(where.path) or where.path.startswith(community.path)):
        raise invalid("room", _("This room is not in the community or its street."))
    if room.capacity and capacity > room.capacity:
        raise invalid("capacity", _("The room holds %(n)s people.") % {"n": room.capacity})


def _organiser_for(actor, community: Division, organiser: Organisation | None) -> Organisation | None:
    if staff_reaches(actor, community):
        if organiser is not None and not operator_serves(organiser, community):
            raise invalid("organiser", _("This operator does not serve the community."))
        return organiser
    mine = operator_of(actor)
    chosen = organiser or (mine[0] if len(mine) == 1 else None)
    if chosen is None or chosen not in mine:
        raise PermissionDenied(_("Only the community's staff and the operators serving it publish activities here."))
    if not operator_serves(chosen, community):
        raise PermissionDenied(_("Your organisation does not serve %(community)s.") % {"community": community.name})
    return chosen


@transaction.atomic
def activity_publish(
    *, actor, community: Division, title: str, category: str, capacity: int, starts_at: datetime, ends_at: datetime,
    description: str = "", tier: str = ServiceTier.FREE, price: Decimal | str = "0", audience: str = "everyone",
    room=None, place: str = "", rrule: str = "", organiser: Organisation | None = None,
    registration_closes_at: datetime | None = None, waitlist: bool = True, places_per_registration: int | None = None,
    now: datetime | None = None,
) -> Activity:
    """Publish a one-off activity (``starts_at``–``ends_at``) or a course whose sessions follow
    ``rrule`` (RFC 5545, e.g. ``FREQ=WEEKLY;COUNT=10``) from the first one. With a room, every
    session is booked through scheduling (a series for a course): a clash refuses the whole
    activity, naming the dates."""
    from scheduling import services as scheduling
    from scheduling.models import BookingKind

    from ..models import Audience

    now = now or timezone.now()
    if community.level not in (DivisionLevel.COMMUNITY, DivisionLevel.STREET):
        raise invalid("community", _("Activities belong to a community or a street."))
    organiser = _organiser_for(actor, community, organiser)
    title = _text(title, "title", max_length=120)
    _choice(category, ServiceCategory, "category")
    _choice(tier, ServiceTier, "tier")
    _choice(audience, Audience, "audience")
    price = _check_price(community, tier, Decimal(str(price or "0")))
    if capacity is None or capacity < 1:
        raise invalid("capacity", _("An activity has at least one place."))
    if ends_at <= starts_at:
        raise invalid("ends_at", _("The activity must end after it starts."))
    if starts_at < now:
        raise invalid("starts_at", _("The time has already passed."))
    if room is not None:
        _check_room(community, room, capacity)
    elif not place.strip():
        raise invalid("place", _("Choose a room, or say where it takes place."))
    limit = int(rule_value(community, "neighbourhood.places_per_registration"))
    places_per_registration = places_per_registration or 1
    if not 1 <= places_per_registration <= limit:
        raise invalid("places_per_registration", _("One person may take from 1 to %(n)s places.") % {"n": limit})
    minutes = int((ends_at - starts_at).total_seconds() // 60)
    kind = ActivityKind.SERIES if rrule.strip() else ActivityKind.ONE_OFF
    bookings, series = [], None
    if kind == ActivityKind.SERIES:
        if room is not None:
            series, bookings, _left_out = scheduling.series_create(
                actor=actor, room=room, title=title, dtstart=starts_at, duration_minutes=minutes, rrule=rrule,
                attendees=capacity, organisation=organiser, kind=BookingKind.ACTIVITY, now=now)
            times = [(b.starts_at, b.ends_at) for b in bookings]
        else:
            limit_n = int(param(division=community, key="scheduling.max_occurrences"))
            times = scheduling._expand(rrule, starts_at, minutes, [], limit_n)
    else:
        if room is not None:
            bookings = [scheduling.booking_create(actor=actor, room=room, start=starts_at, end=ends_at, title=title,
                                                  attendees=capacity, organisation=organiser, kind=BookingKind.ACTIVITY,
                                                  purpose=str(_("Activity")), now=now)]
        times = [(starts_at, ends_at)]
    default_close = times[0][0] - timedelta(hours=int(rule_value(community, "neighbourhood.registration_closes_hours_before")))
    closes = registration_closes_at or default_close
    if closes > times[0][0] or closes < now:
        raise invalid("registration_closes_at", _("Registration must close between now and the first session."))
    activity = Activity.objects.create(
        community=community, organiser=organiser, title=title,
        description=_text(description, "description", max_length=4000, required=False), kind=kind, category=category,
        tier=tier, price=price, capacity=capacity, audience=audience, room=room,
        place=_text(place, "place", max_length=120, required=False), registration_closes_at=closes, waitlist=waitlist,
        places_per_registration=places_per_registration, attendance_code=f"{secrets.randbelow(1_000_000):06d}",
        starts_at=times[0][0], ends_at=times[-1][1], series=series, created_by=actor)
    ActivitySession.objects.bulk_create([
        ActivitySession(activity=activity, number=i + 1, starts_at=start, ends_at=end,
                        booking=bookings[i] if bookings else None) for i, (start, end) in enumerate(times)])
    audit_record(actor=actor, action="neighbourhood.activity.published", target=activity, division=community,
                 organisation=organiser, changes={"title": title, "kind": kind, "sessions": len(times), "capacity": capacity,
                                                  "tier": tier, "price": price, "room": room.pk if room else None})
    return activity


def may_run(actor, activity: Activity) -> bool:
    """Whether ``actor`` runs ``activity`` (checks people in, cancels registrations or the activity):
    the staff of its community or street, or its organiser's staff. Pages show those buttons only then."""
    return staff_reaches(actor, activity.community) or (activity.organiser_id is not None and activity.organiser in operator_of(actor))


@transaction.atomic
def activity_cancel(*, actor, activity: Activity, reason: str, now: datetime | None = None) -> Activity:
    """Cancel an activity: its rooms are released, everyone registered or waiting is told."""
    from scheduling import services as scheduling
    from scheduling.models import HOLDING

    now = now or timezone.now()
    activity = Activity.objects.select_for_update(of=("self",)).select_related("community").get(pk=activity.pk)
    if not may_run(actor, activity):
        raise PermissionDenied(_("Only the community's staff or the organiser can cancel this activity."))
    if activity.status == ActivityStatus.CANCELLED:
        raise Conflict(_("This activity is already cancelled."))
    reason = _text(reason, "reason", max_length=200)
    for session in activity.sessions.select_related("booking").filter(ends_at__gt=now):
        if session.booking is not None and session.booking.status in HOLDING:
            booker = session.booking.booker
            scheduling.booking_cancel(actor=actor if scheduling._may_manage(actor, session.booking) else booker,
                                      booking=session.booking, reason=str(_("Activity cancelled: %(reason)s") % {"reason": reason}), now=now)
        session.cancelled = True
        session.save(update_fields=["cancelled"])
    people = list(activity.registrations.filter(status__in=[RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED])
                  .select_related("user"))
    activity.registrations.filter(pk__in=[r.pk for r in people]).update(status=RegistrationStatus.CANCELLED, cancelled_at=now)
    activity.status, activity.cancelled_at, activity.cancel_reason = ActivityStatus.CANCELLED, now, reason
    activity.registered_places = activity.waitlisted_places = 0
    activity.save(update_fields=["status", "cancelled_at", "cancel_reason", "registered_places", "waitlisted_places"])
    audit_record(actor=actor, action="neighbourhood.activity.cancelled", target=activity, division=activity.community,
                 organisation=activity.organiser, note=reason, changes={"registrations_cancelled": len(people)})
    for registration in people:
        notify(user=registration.user, title=_("“%(title)s” is cancelled") % {"title": activity.title}, body=reason,
               url=f"/neighbourhood/activities/{activity.pk}/")
    return activity


def _next_session(activity: Activity, now: datetime) -> ActivitySession | None:
    return activity.sessions.filter(starts_at__gt=now, cancelled=False).order_by("starts_at").first()


@transaction.atomic
def registration_create(*, actor, activity: Activity, places: int = 1, now: datetime | None = None) -> Registration:
    """Register for an activity: a place while there is one, the waitlist when it is full (if the
    activity keeps one). Refused: twice, after the deadline, beyond the places one person may
    take, beyond the number of courses one may follow at once, or full without a waitlist."""
    now = now or timezone.now()
    # The lock every registration of this activity queues on: places are counted and taken under it.
    activity = Activity.objects.select_for_update(of=("self",)).select_related("community", "room__site").get(pk=activity.pk)
    _require_resident_of(actor, activity.community)
    if activity.status != ActivityStatus.PUBLISHED:
        raise Conflict(_("This activity is cancelled."))
    if now > activity.registration_closes_at:
        raise Conflict(_("Registration closed at %(at)s.") % {"at": timezone.localtime(activity.registration_closes_at).strftime("%Y-%m-%d %H:%M")},
                       code="registration_closed")
    from ..selectors import offline_centre  # the selectors module imports this one

    if (centre := offline_centre(activity)) is not None:
        raise Conflict(_("%(centre)s has not switched its online services on yet: register at the centre.") % {
            "centre": centre.name}, code="not_online")
    if not 1 <= places <= activity.places_per_registration:
        raise invalid("places", _("You may take from 1 to %(n)s places.") % {"n": activity.places_per_registration})
    existing = Registration.objects.filter(activity=activity, user=actor, status__in=[
        RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED]).first()
    if existing is not None:
        raise Conflict(_("You are already registered for this activity.") if existing.status == RegistrationStatus.REGISTERED
                       else _("You are already on the waitlist of this activity."), code="already_registered")
    if activity.kind == ActivityKind.SERIES:
        most = int(rule_value(activity.community, "neighbourhood.open_course_registrations_max"))
        following = Registration.objects.filter(user=actor, status=RegistrationStatus.REGISTERED, activity__kind=ActivityKind.SERIES,
                                                activity__status=ActivityStatus.PUBLISHED, activity__ends_at__gt=now).count()
        if following >= most:
            raise Conflict(_("You already follow %(n)s courses, the most one person may follow at once.") % {"n": most},
                           code="too_many_courses")
    if activity.registered_places + places <= activity.capacity:
        status = RegistrationStatus.REGISTERED
        activity.registered_places += places
    elif activity.waitlist:
        status = RegistrationStatus.WAITLISTED
        activity.waitlisted_places += places
    else:
        raise Conflict(_("This activity is full and keeps no waitlist."), code="full")
    activity.save(update_fields=["registered_places", "waitlisted_places"])
    registration = Registration.objects.create(activity=activity, user=actor, places=places, status=status, created_at=now,
                                               ticket=secrets.token_urlsafe(12))
    audit_record(actor=actor, action=f"neighbourhood.registration.{status}", target=registration, division=activity.community,
                 organisation=activity.organiser, changes={"places": places})
    return registration


def _promote(activity: Activity, now: datetime) -> list[Registration]:
    """Move people up from the waitlist, first come first served, while places are free and the
    next session is far enough ahead for them to hear of it (the city's rule). Caller holds the lock."""
    coming = _next_session(activity, now)
    hours = int(rule_value(activity.community, "neighbourhood.waitlist_stops_hours_before"))
    if coming is None or coming.starts_at - now < timedelta(hours=hours):
        return []
    promoted = []
    for waiting in activity.registrations.filter(status=RegistrationStatus.WAITLISTED).select_related("user").order_by("created_at", "id"):
        if activity.registered_places + waiting.places > activity.capacity:
            continue
        waiting.status, waiting.promoted_at = RegistrationStatus.REGISTERED, now
        waiting.save(update_fields=["status", "promoted_at"])
        activity.registered_places += waiting.places
        activity.waitlisted_places -= waiting.places
        promoted.append(waiting)
        audit_record(actor="waitlist", action="neighbourhood.registration.promoted", target=waiting, division=activity.community,
                     organisation=activity.organiser)
        notify(user=waiting.user, title=_("A place in “%(title)s” is yours") % {"title": activity.title},
               body=str(_("You moved up from the waitlist. If you can no longer come, please cancel so the next person can.")),
               url=f"/neighbourhood/activities/{activity.pk}/")
    if promoted:
        activity.save(update_fields=["registered_places", "waitlisted_places"])
    return promoted


@transaction.atomic
def registration_cancel(*, actor, registration: Registration, now: datetime | None = None) -> Registration:
    """Cancel a registration (the resident, or the activity's staff); a freed place goes to the waitlist."""
    now = now or timezone.now()
    activity = Activity.objects.select_for_update(of=("self",)).select_related("community", "organiser").get(pk=registration.activity_id)
    registration = Registration.objects.select_for_update(of=("self",)).get(pk=registration.pk)
    if registration.user_id != actor.pk and not may_run(actor, activity):
        raise PermissionDenied(_("Only the person registered, or the activity's staff, can cancel this."))
    if registration.status == RegistrationStatus.CANCELLED:
        raise Conflict(_("This registration is already cancelled."))
    if activity_is_over(activity, now):
        raise Conflict(_("The activity is over."))
    was = registration.status
    registration.status, registration.cancelled_at = RegistrationStatus.CANCELLED, now
    registration.save(update_fields=["status", "cancelled_at"])
    if was == RegistrationStatus.REGISTERED:
        activity.registered_places -= registration.places
    else:
        activity.waitlisted_places -= registration.places
    activity.save(update_fields=["registered_places", "waitlisted_places"])
    audit_record(actor=actor, action="neighbourhood.registration.cancelled", target=registration, division=activity.community,
                 organisation=activity.organiser, changes={"was": was, "places": registration.places})
    if was == RegistrationStatus.REGISTERED:
        _promote(activity, now)
    return registration


def activity_is_over(activity: Activity, now: datetime) -> bool:
    """An activity whose last session has ended: its registrations can no longer be cancelled."""
    return activity.ends_at < now


def check_in_window(session: ActivitySession) -> tuple[datetime, datetime]:
    before = int(rule_value(session.activity.community, "neighbourhood.check_in_opens_minutes_before"))
    return session.starts_at - timedelta(minutes=before), session.ends_at


def staff_check_in_open(session: ActivitySession, now: datetime) -> bool:
    """Whether the staff may check people in to ``session`` from the list now (from the pack's
    minutes before it starts, until any time after)."""
    opens, _closes = check_in_window(session)
    return not session.cancelled and session.activity.status == ActivityStatus.PUBLISHED and opens <= now


def current_session(activity: Activity, now: datetime) -> ActivitySession | None:
    """The session whose check-in is open now."""
    before = int(rule_value(activity.community, "neighbourhood.check_in_opens_minutes_before"))
    return activity.sessions.filter(cancelled=False, starts_at__lte=now + timedelta(minutes=before), ends_at__gte=now) \
        .order_by("starts_at").first()


@transaction.atomic
def check_in(*, actor, session: ActivitySession, registration: Registration, method: str = CheckInMethod.STAFF,
             now: datetime | None = None) -> Attendance:
    """Record that a registered person came to a session: each attendance counts its places as person-times."""
    now = now or timezone.now()
    session = ActivitySession.objects.select_related("activity__community", "activity__organiser", "booking").get(pk=session.pk)
    activity = session.activity
    if registration.activity_id != activity.pk:
        raise invalid("registration", _("This registration is for another activity."))
    if method == CheckInMethod.STAFF:
        if not may_run(actor, activity):
            raise PermissionDenied(_("Only the activity's staff check people in from the list."))
    elif registration.user_id != actor.pk:
        raise PermissionDenied(_("You can only check yourself in."))
    registration = Registration.objects.select_for_update(of=("self",)).get(pk=registration.pk)
    if registration.status != RegistrationStatus.REGISTERED:
        raise Conflict(_("Only a registered person can check in (not someone on the waitlist or who cancelled)."))
    if session.cancelled or activity.status != ActivityStatus.PUBLISHED:
        raise Conflict(_("This session is cancelled."))
    opens, closes = check_in_window(session)
    if method != CheckInMethod.STAFF and not opens <= now <= closes:
        raise Conflict(_("Check-in is open from %(opens)s until the session ends.") % {"opens": timezone.localtime(opens).strftime("%m-%d %H:%M")},
                       code="check_in_closed")
    if method == CheckInMethod.STAFF and not staff_check_in_open(session, now):
        raise Conflict(_("Check-in opens at %(opens)s.") % {"opens": timezone.localtime(opens).strftime("%m-%d %H:%M")}, code="check_in_closed")
    try:
        with transaction.atomic():
            attendance = Attendance.objects.create(session=session, registration=registration, people=registration.places,
                                                   method=method, checked_in_at=now, checked_in_by=actor)
    except IntegrityError:
        raise Conflict(_("Already checked in for this session."), code="already_checked_in") from None
    audit_record(actor=actor, action="neighbourhood.attendance.checked_in", target=attendance, division=activity.community,
                 organisation=activity.organiser, changes={"session": session.number, "people": attendance.people, "method": method})
    # The session's first check-in is its room booking's: the room is in use, not a no-show.
    from scheduling import services as scheduling

    scheduling.booking_record_check_in(booking=session.booking, at=now, by=actor, source=str(
        _("Checked in at the activity “%(title)s”, session %(n)s") % {"title": activity.title, "n": session.number}))
    return attendance


def check_in_with_code(*, actor, activity: Activity, code: str, method: str = CheckInMethod.CODE,
                       now: datetime | None = None) -> Attendance:
    """A resident checks in with the activity's attendance code (typed, or read from its QR code)."""
    now = now or timezone.now()
    # Compared as bytes: compare_digest refuses str with characters beyond ASCII, and a code may be typed with any.
    if not secrets.compare_digest((code or "").strip().encode(), activity.attendance_code.encode()):
        raise invalid("code", _("The attendance code is not right."))
    session = current_session(activity, now)
    if session is None:
        raise Conflict(_("No session of this activity is open for check-in now."), code="check_in_closed")
    registration = Registration.objects.filter(activity=activity, user=actor, status=RegistrationStatus.REGISTERED).first()
    if registration is None:
        raise Conflict(_("You are not registered for this activity."), code="not_registered")
    return check_in(actor=actor, session=session, registration=registration, method=method, now=now)


# Service orders: 群众点单、机构接单、社区供单 [Huli].

