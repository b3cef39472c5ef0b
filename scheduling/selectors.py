"""Reading the schedule: bookings in scope, calendars, free windows across rooms, utilisation."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import groupby

from django.db import connection
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import get_for_user, visible_to
from org.models import Division
from registry.models import Room
from rulepack.selectors import param

from .models import (
    HOLDING,
    Booking,
    BookingKind,
    BookingStatus,
    Closure,
    RoomPolicy,
    Rotation,
    WaitlistEntry,
)
from .services import (
    bookable_intervals,
    booker_kinds,
    booker_kinds_at,
    closures_between,
    default_bookers,
    policy_for,
)

BOOKED = [BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN, BookingStatus.RELEASED]


def room_list(*, user, within: Division | None = None) -> QuerySet[Room]:
    rooms = visible_to(user, "registry.view_room", Room.objects.select_related("site__division__parent", "policy")).filter(
        closed_on__isnull=True, site__closed_on__isnull=True)
    if within is not None:
        rooms = rooms.filter(site__division__path__under=within.path)
    return rooms.order_by("site__division__path", "site__code", "floor", "name")


def room_get(*, user, pk: int) -> Room:
    return get_for_user(user, "registry.view_room", Room.objects.select_related("site__division", "policy"), pk=pk)


def booking_list(*, user, room: Room | None = None, within: Division | None = None, since: datetime | None = None,
                 until: datetime | None = None, status: str | None = None) -> QuerySet[Booking]:
    bookings = visible_to(user, "scheduling.view_booking", Booking.objects.select_related("room__site__division", "booker", "organisation"))
    if room is not None:
        bookings = bookings.filter(room=room)
    if within is not None:
        bookings = bookings.filter(room__site__division__path__under=within.path)
    if since is not None:
        bookings = bookings.filter(ends_at__gt=since)
    if until is not None:
        bookings = bookings.filter(starts_at__lt=until)
    if status:
        bookings = bookings.filter(status=status)
    return bookings.order_by("starts_at", "id")


def booking_get(*, user, pk: int) -> Booking:
    return get_for_user(user, "scheduling.view_booking",
                        Booking.objects.select_related("room__site__division", "booker", "organisation", "series"), pk=pk)


def my_bookings(*, user, upcoming: bool = True) -> QuerySet[Booking]:
    bookings = Booking.objects.filter(booker=user).select_related("room__site__division", "booker")
    now = timezone.now()
    if upcoming:
        return bookings.filter(ends_at__gte=now, status__in=HOLDING).order_by("starts_at")
    return bookings.filter(Q(ends_at__lt=now) | ~Q(status__in=HOLDING)).order_by("-starts_at")[:50]


def approval_queue(*, user) -> QuerySet[Booking]:
    """Requests awaiting approval in the rooms ``user`` decides on, soonest first."""
    return visible_to(user, "scheduling.approve_booking", Booking.objects.filter(status=BookingStatus.PENDING)
                      .select_related("room__site__division", "booker", "organisation")).order_by("starts_at")


def waitlist_mine(*, user) -> QuerySet[WaitlistEntry]:
    return WaitlistEntry.objects.filter(user=user, status=WaitlistEntry.Status.WAITING).select_related("room__site").order_by("starts_at")


def calendar_events(*, user, rooms: list[Room], start: datetime, end: datetime) -> list[dict]:
    """Bookings of ``rooms`` as calendar events. People who may not see others' bookings see
    them as busy time only, without who or why."""
    events = []
    palette = ["#b22222", "#3f7cac", "#4c9a6a", "#e07b39", "#7b5ea7", "#2f4858", "#c2185b", "#00897b"]
    colours = {room.pk: palette[index % len(palette)] for index, room in enumerate(rooms)}
    bookings = Booking.objects.filter(room__in=rooms, status__in=HOLDING, starts_at__lt=end, ends_at__gt=start).select_related(
        "room__site__division", "organisation")
    seen_in_full = set(visible_to(user, "scheduling.view_booking", bookings).values_list("pk", flat=True))
    for booking in bookings.order_by("starts_at"):
        detailed = booking.booker_id == user.pk or booking.pk in seen_in_full
        events.append({
            "id": booking.pk,
            "title": (f"{booking.title}" if detailed else _("Booked")) + (f" · {booking.room.name}" if len(rooms) > 1 else ""),
            "start": timezone.localtime(booking.starts_at).isoformat(), "end": timezone.localtime(booking.ends_at).isoformat(),
            "color": "#9aa1a9" if not detailed else colours[booking.room_id],
            "url": f"/scheduling/bookings/{booking.pk}/" if detailed else "",
            "extendedProps": {"status": booking.status, "room": booking.room.name, "kind": booking.kind,
                              "organisation": booking.organisation.name if booking.organisation and detailed else ""},
        })
    closures = Closure.objects.filter(Q(room__in=rooms) | Q(room__isnull=True, site__rooms__in=rooms),
                                      starts_at__lt=end, ends_at__gt=start).distinct()
    for closure in closures:
        events.append({"title": f"{_('Closed')}：{closure.reason}", "start": timezone.localtime(closure.starts_at).isoformat(),
                       "end": timezone.localtime(closure.ends_at).isoformat(), "display": "background", "color": "#f5c6cb"})
    return events


def on_duty_in(rooms: list[Room], *, at: datetime | None = None) -> dict[int, Booking]:
    """The rotation booking under way in each of ``rooms`` now (or at ``at``), by room id; one query."""
    at = at or timezone.now()
    return {booking.room_id: booking for booking in Booking.objects.filter(
        room__in=rooms, kind=BookingKind.ROTATION, status__in=HOLDING, starts_at__lte=at, ends_at__gt=at,
    ).select_related("organisation")}


def on_duty(*, room: Room, at: datetime | None = None) -> Booking | None:
    """The department on duty in a rotated room now (or at ``at``)."""
    return on_duty_in([room], at=at).get(room.pk)


def rotation_list(*, user, within: Division | None = None) -> QuerySet[Rotation]:
    rotations = visible_to(user, "scheduling.view_rotation", Rotation.objects.select_related("room__site__division")
                           .prefetch_related("members__department"))
    if within is not None:
        rotations = rotations.filter(room__site__division__path__under=within.path)
    return rotations.order_by("-created_at")


# Free windows across rooms.

@dataclass
class FreeWindow:
    room: Room
    start: datetime
    end: datetime
    score: float = 0.0

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


def _subtract(free: list[tuple[datetime, datetime]], busy: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """``free`` minus ``busy``; both sorted lists of intervals."""
    result = []
    for start, end in free:
        cursor = start
        for b_start, b_end in busy:
            if b_end <= cursor or b_start >= end:
                continue
            if b_start > cursor:
                result.append((cursor, b_start))
            cursor = max(cursor, b_end)
            if cursor >= end:
                break
        if cursor < end:
            result.append((cursor, end))
    return result


def _align(moment: datetime, slot: int) -> datetime:
    local = timezone.localtime(moment)
    minutes = local.hour * 60 + local.minute
    remainder = minutes % slot
    aligned = local.replace(second=0, microsecond=0)
    if remainder or local.second or local.microsecond:
        aligned += timedelta(minutes=slot - remainder)
    return aligned


def free_windows_for(room: Room, policy: RoomPolicy, *, start: datetime, end: datetime, minutes: int,
                     busy: list[tuple[datetime, datetime]]) -> list[FreeWindow]:
    """The room's free windows of at least ``minutes`` between ``start`` and ``end``."""
    buffer = timedelta(minutes=policy.buffer_minutes)
    busy = sorted((b_start - buffer, b_end) for b_start, b_end in busy)
    windows = []
    day = timezone.localtime(start).date()
    last = timezone.localtime(end).date()
    while day <= last:
        open_hours = [(max(a, start), min(b, end)) for a, b in bookable_intervals(room, policy, day) if b > start and a < end]
        for w_start, w_end in _subtract(open_hours, busy):
            w_start = _align(w_start, policy.slot_minutes)
            if (w_end - w_start).total_seconds() >= minutes * 60:
                windows.append(FreeWindow(room, w_start, w_end))
        day += timedelta(days=1)
    return windows


def next_free_slot(room: Room, *, minutes: int = 60, days: int = 14) -> tuple[datetime, datetime] | None:
    """The earliest time in the coming ``days`` this room is free for ``minutes`` (what a
    booking form offers first); None if there is none."""
    policy = policy_for(room)
    minutes = max(minutes, policy.min_minutes)
    start = timezone.now()
    end = start + timedelta(days=min(days, policy.horizon_days))
    busy = list(Booking.objects.filter(room=room, status__in=HOLDING, starts_at__lt=end, blocked_until__gt=start)
                .values_list("starts_at", "blocked_until"))
    busy += list(closures_between(room, start, end).values_list("starts_at", "ends_at"))
    for window in free_windows_for(room, policy, start=start, end=end, minutes=minutes, busy=busy):
        return window.start, window.start + timedelta(minutes=minutes)
    return None


def window_score(window: FreeWindow, *, capacity: int, start: datetime) -> float:
    """How well a free window fits (lower is better): a room near the size wanted matters most
    (up to 10 points), then how soon (a point a day), then its length (up to a point for 8 h)."""
    waste = (window.room.capacity - capacity) / max(window.room.capacity, 1)
    days_away = (window.start - start).total_seconds() / 86400
    return round(waste * 10 + days_away - min(window.minutes, 480) / 480, 3)


def _best_possible_score(size: int, capacity: int) -> float:
    """No window of a room for ``size`` people can score better (soonest start, longest window)."""
    return (size - capacity) / max(size, 1) * 10 - 1 - 0.001


def availability(
    *, user, within: Division, start: datetime, end: datetime, minutes: int = 60, capacity: int = 1,
    equipment: list[str] | None = None, function: str | None = None, limit: int = 50,
) -> list[FreeWindow]:
    """The ``limit`` best free windows in the rooms of ``within`` that the user may book and
    that fit the need, ranked by ``window_score``.

    Rooms are taken from the best fitting size up, a size at a time, with one query for the
    bookings of each size; once ``limit`` windows are found that no larger room could beat,
    the search stops — the answer is the same as scoring every room, without reading the
    bookings of rooms that cannot make the list."""
    start = max(start, timezone.now())
    rooms = room_list(user=user, within=within).filter(capacity__gte=capacity)
    if function:
        rooms = rooms.filter(functions__code=function)
    wanted = {e.strip() for e in equipment or [] if e.strip()}
    if wanted and connection.features.supports_json_field_contains:
        rooms = rooms.filter(equipment__contains=sorted(wanted))
    if function:
        rooms = rooms.distinct()
    # Which rooms qualify is decided on a few columns; whole rooms are loaded a size at a time.
    eligible = []
    for pk, size, site_id, kit, use, path, bookable, bookers in rooms.order_by().values_list(
            "pk", "capacity", "site_id", "equipment", "use", "site__division__path", "policy__bookable", "policy__bookers"):
        if wanted and not wanted <= set(kit):
            continue
        if bookable is False or not booker_kinds_at(user, path, None) & set(default_bookers(use) if bookers is None else bookers):
            continue
        eligible.append((size, pk, site_id))
    if not eligible:
        return []
    eligible.sort()
    closed: dict[tuple[str, int], list] = defaultdict(list)
    for room_id, site_id, c_start, c_end in Closure.objects.filter(
            site_id__in={site_id for _size, _pk, site_id in eligible}, starts_at__lt=end, ends_at__gt=start).values_list(
            "room_id", "site_id", "starts_at", "ends_at"):
        closed[("room", room_id) if room_id else ("site", site_id)].append((c_start, c_end))
    windows: list[FreeWindow] = []
    for size, group in groupby(eligible, key=lambda row: row[0]):
        if len(windows) >= limit and windows[limit - 1].score < _best_possible_score(size, capacity):
            break
        pks = [pk for _size, pk, _site in group]
        busy: dict[int, list] = defaultdict(list)
        for room_id, b_start, b_end in Booking.objects.filter(
                room_id__in=pks, status__in=HOLDING, starts_at__lt=end, blocked_until__gt=start,
        ).values_list("room_id", "starts_at", "blocked_until"):
            busy[room_id].append((b_start, b_end))
        for room in Room.objects.select_related("site__division__parent", "policy").filter(pk__in=pks).order_by("pk"):
            policy = getattr(room, "policy", None) or RoomPolicy(room=room, bookers=default_bookers(room.use))
            taken = busy.get(room.pk, []) + closed.get(("room", room.pk), []) + closed.get(("site", room.site_id), [])
            for window in free_windows_for(room, policy, start=start, end=end, minutes=max(minutes, policy.min_minutes), busy=taken):
                window.score = window_score(window, capacity=capacity, start=start)
                windows.append(window)
        windows.sort(key=lambda w: (w.score, w.start, w.room.pk))
        del windows[limit:]
    return windows


# Utilisation.

@dataclass
class Usage:
    key: int | str
    label: str
    bookable_hours: float = 0.0
    booked_hours: float = 0.0
    used_hours: float = 0.0
    no_shows: int = 0
    rooms: int = 0
    periods: dict = field(default_factory=dict)  # period start -> {"bookable", "booked", "used"}

    @property
    def rate(self) -> float | None:
        return self.booked_hours / self.bookable_hours if self.bookable_hours else None

    @property
    def used_rate(self) -> float | None:
        return self.used_hours / self.bookable_hours if self.bookable_hours else None


def _period_start(day: date, period: str | None) -> date | None:
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return None


def _bookable_by_room(rooms: list[Room], since: date, until: date, period: str | None) -> dict[int, dict[date | None, float]]:
    """Bookable hours of each room per period, less the time it was closed."""
    closures = defaultdict(list)
    for room_id, site_id, c_start, c_end in Closure.objects.filter(
            site_id__in={r.site_id for r in rooms}, starts_at__lt=timezone.make_aware(datetime.combine(until, datetime.min.time())),
            ends_at__gt=timezone.make_aware(datetime.combine(since, datetime.min.time()))).values_list("room_id", "site_id", "starts_at", "ends_at"):
        closures[("room", room_id) if room_id else ("site", site_id)].append((c_start, c_end))
    result: dict[int, dict] = {}
    for room in rooms:
        policy = getattr(room, "policy", None) or RoomPolicy(room=room)
        shut = closures.get(("room", room.pk), []) + closures.get(("site", room.site_id), [])
        per_period: dict = defaultdict(float)
        day = since
        while day < until:
            for a, b in bookable_intervals(room, policy, day):
                hours = (b - a).total_seconds() / 3600
                for c_start, c_end in shut:
                    overlap = (min(b, c_end) - max(a, c_start)).total_seconds()
                    if overlap > 0:
                        hours -= overlap / 3600
                per_period[_period_start(day, period)] += max(0.0, hours)
            day += timedelta(days=1)
        result[room.pk] = per_period
    return result


def utilisation(*, user, within: Division, since: date, until: date, group: str = "room", period: str | None = None) -> list[Usage]:
    """Booked and used hours against bookable hours, for each room (or site, community, street),
    and per week or month when asked. Rooms below the city's idle share are the idle ones."""
    rooms = list(room_list(user=user, within=within))
    bookable = _bookable_by_room(rooms, since, until, period)
    tz = timezone.get_current_timezone()
    span = ExpressionWrapper(F("ends_at") - F("starts_at"), output_field=DurationField())
    bookings = Booking.objects.filter(room__in=rooms, status__in=BOOKED,
                                      starts_at__gte=datetime.combine(since, datetime.min.time(), tzinfo=tz),
                                      starts_at__lt=datetime.combine(until, datetime.min.time(), tzinfo=tz))
    if period:
        trunc = TruncWeek("starts_at", tzinfo=tz) if period == "week" else TruncMonth("starts_at", tzinfo=tz)
        bookings = bookings.annotate(period=trunc)
        keys = ["room_id", "period"]
    else:
        keys = ["room_id"]
    booked: dict = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0]))
    for row in bookings.values(*keys, "status").annotate(total=Sum(span)).order_by():
        slot = booked[row["room_id"]][row["period"].date() if period else None]
        hours = row["total"].total_seconds() / 3600
        slot[0] += hours
        if row["status"] == BookingStatus.CHECKED_IN:
            slot[1] += hours
    no_shows = defaultdict(int)
    for room_id in bookings.filter(no_show=True).values_list("room_id", flat=True):
        no_shows[room_id] += 1

    def key_of(room: Room):
        division = room.site.division
        if group == "site":
            return room.site_id, room.site.name
        if group == "community":
            return division.pk, division.name
        if group == "street":
            street = division if division.level == "street" else division.parent
            return street.pk, street.name
        return room.pk, f"{room.site.name} · {room.name}"

    groups: dict = {}
    for room in rooms:
        key, label = key_of(room)
        usage = groups.setdefault(key, Usage(key=key, label=label))
        usage.rooms += 1
        usage.no_shows += no_shows.get(room.pk, 0)
        for period_key, hours in bookable[room.pk].items():
            usage.bookable_hours += hours
            usage.periods.setdefault(period_key, {"bookable": 0.0, "booked": 0.0, "used": 0.0})["bookable"] += hours
        for period_key, (booked_hours, used_hours) in booked.get(room.pk, {}).items():
            usage.booked_hours += booked_hours
            usage.used_hours += used_hours
            slot = usage.periods.setdefault(period_key, {"bookable": 0.0, "booked": 0.0, "used": 0.0})
            slot["booked"] += booked_hours
            slot["used"] += used_hours
    return sorted(groups.values(), key=lambda u: (u.rate if u.rate is not None else 2, str(u.label)))


def idle_share(division: Division) -> float:
    return float(param(division=division, key="scheduling.idle_usage_share"))


def idle_rooms(*, user, within: Division, since: date, until: date) -> list[Usage]:
    """Rooms booked for less than the city's idle share of their bookable hours."""
    threshold = idle_share(within)
    return [u for u in utilisation(user=user, within=within, since=since, until=until)
            if u.bookable_hours and (u.rate or 0) < threshold]


def usage_rates(rooms: list[Room], *, since: date, until: date) -> dict[int, float | None]:
    """Booked share of each room's bookable hours (fills the register's usage rate)."""
    if not rooms:
        return {}
    bookable = _bookable_by_room(rooms, since, until + timedelta(days=1), None)
    tz = timezone.get_current_timezone()
    span = ExpressionWrapper(F("ends_at") - F("starts_at"), output_field=DurationField())
    booked = dict(Booking.objects.filter(room__in=rooms, status__in=BOOKED,
                                         starts_at__gte=datetime.combine(since, datetime.min.time(), tzinfo=tz),
                                         starts_at__lt=datetime.combine(until + timedelta(days=1), datetime.min.time(), tzinfo=tz))
                  .values("room_id").annotate(total=Sum(span)).values_list("room_id", "total"))
    rates = {}
    for room in rooms:
        hours = bookable[room.pk].get(None, 0.0)
        rates[room.pk] = (booked[room.pk].total_seconds() / 3600 / hours if room.pk in booked else 0.0) if hours else None
    return rates


def room_may_be_booked_by(user, room: Room) -> bool:
    policy = policy_for(room)
    return policy.bookable and bool(booker_kinds(user, room, None) & set(policy.bookers))



# Time held for one holder (a space-for-service agreement and its operator).

@dataclass
class HeldTime:
    bookings: int = 0
    hours: float = 0.0
    checked_in: int = 0


def held_time(*, rooms, since: datetime, until: datetime, origin: str, organisation=None) -> HeldTime:
    """Bookings of ``rooms`` starting in ``[since, until)`` that were booked (``BOOKED``: confirmed, checked
    in, or released as a no-show), with their hours and how many were checked in: those held under
    ``origin`` (an agreement's weekly hours), and those made one by one for ``organisation`` (its
    activities, its service orders) — not those of another long-term hold. One query."""
    span = ExpressionWrapper(F("ends_at") - F("starts_at"), output_field=DurationField())
    whose = Q(origin=origin)
    if organisation is not None:
        whose |= Q(organisation=organisation) & ~Q(kind=BookingKind.AGREEMENT)
    found = Booking.objects.filter(whose, room__in=rooms, status__in=BOOKED, starts_at__gte=since, starts_at__lt=until).aggregate(
        n=Count("id"), total=Sum(span), checked_in=Count("id", filter=Q(status=BookingStatus.CHECKED_IN)))
    return HeldTime(bookings=found["n"], hours=found["total"].total_seconds() / 3600 if found["total"] else 0.0,
                    checked_in=found["checked_in"])
