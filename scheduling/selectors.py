"""Reading the schedule: bookings in scope, calendars, free windows across rooms, utilisation."""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from itertools import groupby

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.permissions import get_for_user, visible_to
from core.errors import NotFound
from org.models import Division
from registry.models import NOT_OWN_SPACE, Room, Site
from rulepack.selectors import param

from .models import (
    HOLDING,
    Booking,
    BookingKind,
    BookingStatus,
    Closure,
    OpenResource,
    ResourceCategory,
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


def booking_search(*, user, within: Division | None = None, room: Room | None = None, since: date | None = None,
                   until: date | None = None, status: str | None = None, q: str = "", mine: bool = False) -> QuerySet[Booking]:
    """The bookings the user sees (a street's or community's staff: every booking of their rooms), of a
    place or a room, starting between ``since`` and ``until`` (both days included), in a state, whose
    title, booker or organisation contains ``q``; only the user's own with ``mine``. In time order."""
    bookings = booking_list(user=user, room=room, within=within, status=status or None)
    if since is not None:
        bookings = bookings.filter(starts_at__gte=_midnight(since))
    if until is not None:
        bookings = bookings.filter(starts_at__lt=_midnight(until + timedelta(days=1)))
    if q:
        bookings = bookings.filter(Q(title__icontains=q) | Q(booker__display_name__icontains=q)
                                   | Q(organisation__name__icontains=q))
    if mine:
        bookings = bookings.filter(booker=user)
    return bookings


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
    """Requests awaiting approval in the rooms ``user`` decides on, soonest first (a unit's open
    resources are its staff's to decide, on the resource's page: ``open_resource_requests``)."""
    return visible_to(user, "scheduling.approve_booking", Booking.objects.filter(status=BookingStatus.PENDING, room__open_resource__isnull=True)
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


def _align(moment: datetime, slot: int, tz: tzinfo | None = None) -> datetime:
    """``moment`` moved on to the next start of a slot in local time (in ``tz``, else the current time zone)."""
    local = timezone.localtime(moment, tz)
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
    return _fit(window.room.capacity, capacity, window.start - start, window.minutes)


def _fit(size: int, capacity: int, away: timedelta, minutes: int) -> float:
    """``window_score`` of a window of ``minutes`` in a room for ``size`` people, ``away`` after the search's start."""
    waste = (size - capacity) / max(size, 1)
    return round(waste * 10 + away.total_seconds() / 86400 - min(minutes, 480) / 480, 3)


def _best_possible_score(size: int, capacity: int, days_away: float = 0.0) -> float:
    """No window of a room for ``size`` people starting ``days_away`` days or more after the search's
    start can score better (the longest window; rounding allowed for)."""
    return (size - capacity) / max(size, 1) * 10 + days_away - 1 - 0.001


class _OpenHours:
    """The bookable hours of each kind of week (a room's rules', own and site's hours, as the database's
    text) on each day of a search, clipped to it: worked out once, not once per room."""

    def __init__(self, start: datetime, end: datetime):
        self.start, self.end, self._weeks, self._days = start, end, {}, {}

    def on(self, texts: tuple, day: date) -> tuple[list[tuple[datetime, datetime]], float]:
        """The open intervals on ``day``, and how many days after the search's start the first begins."""
        key = (texts, day)
        if key not in self._days:
            if texts not in self._weeks:
                policy_hours, room_hours, site_hours = (json.loads(text) if text is not None else None for text in texts)
                room = Room(opening_hours=room_hours, site=Site(opening_hours=site_hours))
                self._weeks[texts] = room, RoomPolicy(room=room, bookable_hours=policy_hours)  # none: the room's or site's
            start, end = self.start, self.end
            clipped = [(max(a, start), min(b, end)) for a, b in bookable_intervals(*self._weeks[texts], day) if b > start and a < end]
            soonest = min((a for a, _b in clipped), default=end)
            self._days[key] = clipped, (soonest - start).total_seconds() / 86400
        return self._days[key]


# What the search reads of a room: enough to tell whether it qualifies, its rules, and its hours (JSON as
# text, decoded once per distinct value rather than once per room).
_SEARCH_COLUMNS = (
    "pk", "capacity", "site_id", Cast("equipment", TextField()), "use", "site__division__path", "policy__bookable",
    Cast("policy__bookers", TextField()), "policy__buffer_minutes", "policy__slot_minutes", "policy__min_minutes",
    *(Cast(name, TextField()) for name in ("policy__bookable_hours", "opening_hours", "site__opening_hours")),
)


def _bookable_rooms(rooms: QuerySet[Room], *, user, wanted: set[str], minutes: int) -> list[tuple]:
    """Of ``rooms``, those with the equipment ``wanted`` (when the database did not check it) that
    ``user`` may book, best fitting size first, each as (size, id, site id, buffer, slot minutes,
    minutes needed, hours as text); one query, no model built."""
    unset = RoomPolicy()  # the rules of a room whose rules were never set
    kinds: dict[str, set] = {}  # the user's kinds of booker, by the path of a room's division
    admitted: dict[tuple, set] = {}  # the kinds of booker a room admits, by its use and rules' list
    found = []
    for pk, size, site_id, kit, use, path, bookable, bookers, buffer, slot, least, *texts in rooms.order_by().values_list(
            *_SEARCH_COLUMNS):
        if wanted and not wanted <= set(json.loads(kit)):
            continue
        if bookable is False:
            continue
        if path not in kinds:
            kinds[path] = booker_kinds_at(user, path, None)
        if (use, bookers) not in admitted:
            listed = json.loads(bookers) if bookers is not None else None
            admitted[use, bookers] = set(default_bookers(use) if listed is None else listed)
        if not kinds[path] & admitted[use, bookers]:
            continue
        if buffer is None:  # no rules row
            buffer, slot, least = unset.buffer_minutes, unset.slot_minutes, unset.min_minutes
        found.append((size, pk, site_id, timedelta(minutes=buffer), slot, max(minutes, least), tuple(texts)))
    return sorted(found, key=lambda room: room[:2])


def _busy_times(rooms: list[tuple], *, start: datetime, end: datetime) -> dict[int, list[tuple[datetime, datetime]]]:
    """The times each of ``rooms`` (read by ``_bookable_rooms``) is held between ``start`` and ``end``:
    its bookings and the closures of it or its site, each from the room's buffer before it, sorted; one query."""
    taken: dict[int, list] = defaultdict(list)
    shut: dict[int, list] = defaultdict(list)
    bookings = Booking.objects.filter(
        room_id__in=[room[1] for room in rooms], status__in=HOLDING, starts_at__lt=end, blocked_until__gt=start,
    ).order_by().values_list("room_id", Value(None, output_field=IntegerField()), "starts_at", "blocked_until")
    closures = Closure.objects.filter(site_id__in={room[2] for room in rooms}, starts_at__lt=end, ends_at__gt=start).order_by()
    for room_id, site_id, b_start, b_end in bookings.union(closures.values_list("room_id", "site_id", "starts_at", "ends_at"),
                                                           all=True):
        (taken[room_id] if room_id else shut[site_id]).append((b_start, b_end))  # a closure without a room shuts the site
    return {pk: sorted((b_start - buffer, b_end) for b_start, b_end in taken.get(pk, []) + shut.get(site_id, []))
            for _size, pk, site_id, buffer, *_rest in rooms}


def _rank(window: tuple) -> tuple:
    """The order of the search's windows, read as (score, start, room id, end): best score, then soonest, then by room."""
    return window[:3]


def availability(
    *, user, within: Division, start: datetime, end: datetime, minutes: int = 60, capacity: int = 1,
    equipment: list[str] | None = None, function: str | None = None, limit: int = 50,
) -> list[FreeWindow]:
    """The ``limit`` best free windows in the rooms of ``within`` that the user may book and
    that fit the need, ranked by ``window_score``.

    Rooms are taken from the best fitting size up, a size at a time, with one query for the
    bookings (and closures) of each size; once ``limit`` windows are found that no larger room
    could beat, the search stops — the answer is the same as scoring every room, without reading
    the bookings of rooms that cannot make the list. Within a size the days are taken in turn,
    and a room's day none of whose windows could make the list is not worked out. Rooms are read
    as the few columns the search needs; only the rooms of the windows returned are loaded whole,
    in one query."""
    if limit < 1:
        return []
    start = max(start, timezone.now())
    tz = timezone.get_current_timezone()
    rooms = room_list(user=user, within=within).filter(capacity__gte=capacity)
    if function:
        rooms = rooms.filter(functions__code=function)
    wanted = {e.strip() for e in equipment or [] if e.strip()}
    if wanted and connection.features.supports_json_field_contains:
        rooms = rooms.filter(equipment__contains=sorted(wanted))
        wanted = set()  # checked by the database
    if function:
        rooms = rooms.distinct()
    eligible = _bookable_rooms(rooms, user=user, wanted=wanted, minutes=minutes)
    hours = _OpenHours(start, end)
    days, day = [], timezone.localtime(start, tz).date()
    while day <= timezone.localtime(end, tz).date():
        days.append(day)
        day += timedelta(days=1)
    found: list[tuple] = []  # (score, start, room id, end), best first once a day is done
    worst = float("inf")  # the score of the last window on the list, once the list is full
    for size, group in groupby(eligible, key=lambda room: room[0]):
        if worst < _best_possible_score(size, capacity):
            break
        group = list(group)
        busy = _busy_times(group, start=start, end=end)
        for day in days:
            for _size, pk, _site_id, _buffer, slot, need, texts in group:
                open_hours, soonest = hours.on(texts, day)
                if not open_hours or worst < _best_possible_score(size, capacity, soonest):
                    continue
                for w_start, w_end in _subtract(open_hours, busy[pk]):
                    w_start = _align(w_start, slot, tz)
                    length = (w_end - w_start).total_seconds()
                    if length >= need * 60:
                        found.append((_fit(size, capacity, w_start - start, int(length // 60)), w_start, pk, w_end))
            found.sort(key=_rank)
            del found[limit:]
            if len(found) == limit:
                worst = found[-1][0]
    whole = Room.objects.select_related("site__division__parent", "policy").in_bulk({pk for _score, _start, pk, _end in found})
    return [FreeWindow(whole[pk], w_start, w_end, score) for score, w_start, pk, w_end in found if pk in whole]


# Utilisation: one definition, computed here, read by every page that shows a rate.
#
# A room's usage rate over a period is its booked hours (bookings confirmed, checked in, or released
# as no-shows, counted by their start) over its bookable hours (its booking rules' hours, else the
# room's opening hours, else its site's; closures taken off). A community none of whose rooms has a
# booking before the period ends does not record its bookings here: its rooms have no rate (the
# pages say "no bookings recorded", never 0 %) and are never idle. Rooms are summed in the database,
# one grouped query per level (rooms by their hours, bookings by the group), and the bookable hours
# of each kind of week are worked out once.

MAX_USAGE_DAYS = 400
USAGE_LEVELS = ("room", "site", "community", "street", "district")
_ROOM_FIELD = {"room": "pk", "site": "site_id"}
_BOOKING_FIELD = {"room": "room_id", "site": "room__site_id"}
_HOURS = ("policy__bookable_hours", "opening_hours", "site__opening_hours")
# The hours read as the database's text, decoded once per kind of week rather than once per room.
_HOURS_TEXT = {f"{name}_text": Cast(name, TextField()) for name in _HOURS}


@dataclass(frozen=True)
class UsagePeriod:
    """The days a usage rate counts, ``since`` up to ``until`` (the day after the last). ``window`` is
    set when they are the city's usage window: the last so many days before today."""

    since: date
    until: date
    window: int | None = None

    @property
    def last(self) -> date:
        return self.until - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.until - self.since).days

    def __str__(self) -> str:
        form = (pgettext("a day of a period", "M j, Y") if self.since.year != self.last.year
                else pgettext("a day of a period", "M j"))
        span = f"{dateformat.format(self.since, form)}–{dateformat.format(self.last, form)}"
        if self.window:
            return _("last %(days)s days (%(span)s)") % {"days": self.window, "span": span}
        return span


def usage_period(*, division: Division, today: date | None = None, since: date | None = None,
                 until: date | None = None) -> UsagePeriod:
    """The period a usage rate counts: ``since``–``until`` (``until`` the day after the last) when both
    are given, end after they start and span at most 400 days; else the city's usage window
    (``scheduling.usage_window_days``) ending yesterday."""
    if since and until and since < until and (until - since).days <= MAX_USAGE_DAYS:
        return UsagePeriod(since, until)
    today = today or timezone.localdate()
    days = int(param(division=division, key="scheduling.usage_window_days"))
    return UsagePeriod(today - timedelta(days=days), today, window=days)


@dataclass
class Usage:
    """Usage of a room, or of the rooms of a site or division, over a period."""

    key: int | str
    label: str
    level: str = "room"
    code: str = ""  # a division's code (to open it)
    site_id: int | None = None
    place: str = ""  # the community of a room or a site
    rooms: int = 0
    recorded_rooms: int = 0  # rooms of communities that record their bookings
    places: int = 0  # communities (and directly run streets) with rooms, in a division's row
    recorded_places: int = 0
    bookable_hours: float = 0.0  # of the rooms that record bookings
    booked_hours: float = 0.0
    used_hours: float = 0.0
    no_shows: int = 0
    periods: dict = field(default_factory=dict)  # week or month start -> {"bookable", "booked", "used"}
    _places: set = field(default_factory=set, repr=False)

    @property
    def recorded(self) -> bool:
        return self.recorded_rooms > 0

    @property
    def rate(self) -> float | None:
        return self.booked_hours / self.bookable_hours if self.recorded and self.bookable_hours else None

    @property
    def used_rate(self) -> float | None:
        return self.used_hours / self.bookable_hours if self.recorded and self.bookable_hours else None

    def idle(self, threshold: float) -> bool:
        """Booked less than ``threshold`` of its bookable hours (never when it has no rate)."""
        return self.rate is not None and self.rate < threshold


def usage_rank(usage: Usage) -> tuple:
    """Least used first; those without a rate last."""
    return (usage.rate is None, usage.rate or 0.0, str(usage.label))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=timezone.get_current_timezone())


def _period_start(day: date, by: str | None) -> date | None:
    if by == "week":
        return day - timedelta(days=day.weekday())
    if by == "month":
        return day.replace(day=1)
    return None


def _week_of(policy_hours, room_hours, site_hours) -> dict:
    """When a room can be booked: its booking rules' hours, else its own opening hours, else its site's
    (a week with no hour at all counts as not given)."""
    for hours in (policy_hours, room_hours, site_hours):
        if hours and any(hours.values()):
            return hours
    return {}


class _Weeks:
    """Bookable hours of each kind of week over a period (per week or month when asked), each worked out once."""

    def __init__(self, period: UsagePeriod, by: str | None):
        self.period, self.by, self._done, self._weeks, self._rows = period, by, {}, {}, {}

    def intervals(self, week: dict, day: date) -> list[tuple[datetime, datetime]]:
        tz = timezone.get_current_timezone()
        found = []
        for start, end in week.get(str(day.isoweekday()), []):
            begin = datetime.combine(day, time.fromisoformat(start), tzinfo=tz)
            finish = (datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz) if end == "24:00"
                      else datetime.combine(day, time.fromisoformat(end), tzinfo=tz))
            found.append((begin, finish))
        return found

    def week(self, row: dict) -> dict:
        """The week of a row read with ``_HOURS_TEXT``."""
        texts = tuple(row[f"{name}_text"] for name in _HOURS)
        if texts not in self._weeks:
            self._weeks[texts] = _week_of(*(json.loads(text) if text else None for text in texts))
        return self._weeks[texts]

    def row_hours(self, row: dict) -> dict[date | None, float]:
        """The bookable hours of one room of a row read with ``_HOURS_TEXT``."""
        texts = tuple(row[f"{name}_text"] for name in _HOURS)
        if texts not in self._rows:
            self._rows[texts] = self.hours(self.week(row))
        return self._rows[texts]

    def hours(self, week: dict) -> dict[date | None, float]:
        key = json.dumps(week, sort_keys=True)
        if key not in self._done:
            per: dict = defaultdict(float)
            day = self.period.since
            while day < self.period.until:
                for begin, finish in self.intervals(week, day):
                    per[_period_start(day, self.by)] += (finish - begin).total_seconds() / 3600
                day += timedelta(days=1)
            self._done[key] = dict(per)
        return self._done[key]

    def closed(self, week: dict, shut: list[tuple[datetime, datetime]]) -> dict[date | None, float]:
        """Bookable hours of a room with ``week`` that fall in its closures ``shut`` (merged first)."""
        merged: list[list[datetime]] = []
        for start, end in sorted(shut):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        lost: dict = defaultdict(float)
        for start, end in merged:
            day = max(self.period.since, timezone.localdate(start) - timedelta(days=1))
            while day < min(self.period.until, timezone.localdate(end) + timedelta(days=1)):
                for begin, finish in self.intervals(week, day):
                    overlap = (min(finish, end) - max(begin, start)).total_seconds()
                    if overlap > 0:
                        lost[_period_start(day, self.by)] += overlap / 3600
                day += timedelta(days=1)
        return lost


def _rooms_in(*, user, within: Division | None) -> QuerySet[Room]:
    """The rooms whose use is counted: the community's own rooms in use (not units' shared resources)."""
    rooms = Room.objects.own_space_in_use()
    if user is not None:
        rooms = visible_to(user, "registry.view_room", rooms)
    if within is not None:
        rooms = rooms.filter(site__division__path__under=within.path)
    return rooms.order_by()


def _recorded_places(rooms: QuerySet[Room], period: UsagePeriod) -> set[int]:
    """The divisions (of the rooms' sites) with a booking of any of their rooms before the period ends."""
    before = (Booking.objects.filter(room__site__division_id=OuterRef("pk"), starts_at__lt=_midnight(period.until))
              .exclude(room__site__kind__in=NOT_OWN_SPACE))
    return set(Division.objects.filter(pk__in=rooms.values("site__division_id")).filter(Exists(before))
               .values_list("pk", flat=True))


def _division_groups(place_ids: set[int], level: str) -> dict[int, dict]:
    """For each division a site belongs to, the division at ``level`` it lies in (itself when it is
    higher): its id, name, code and level."""
    places = {pk: path for pk, path in Division.objects.filter(pk__in=place_ids).values_list("pk", "path")}
    codes = {code for path in places.values() for code in path.strip("/").split("/")}
    by_code = {row["code"]: row for row in Division.objects.filter(code__in=codes).values("pk", "code", "name", "level")}
    groups = {}
    for pk, path in places.items():
        line = [by_code[code] for code in path.strip("/").split("/") if code in by_code]
        groups[pk] = next((row for row in line if row["level"] == level), line[-1])
    return groups


def _usage(rooms: QuerySet[Room], *, period: UsagePeriod, group: str = "room", by: str | None = None,
           recorded: set[int] | None = None) -> list[Usage]:
    """The core of every usage figure: ``rooms`` (a queryset) grouped by room, site, or the community,
    street or district they lie in, over ``period``, per week or month when ``by`` says so. ``recorded``:
    the places that record bookings, when the caller has them already."""
    if group not in USAGE_LEVELS:
        raise ValueError(group)
    weeks = _Weeks(period, by)
    recorded = _recorded_places(rooms, period) if recorded is None else recorded
    since, until = _midnight(period.since), _midnight(period.until)
    room_field = _ROOM_FIELD.get(group, "site__division_id")
    names = {"room": ("name", "site_id", "site__name", "site__division__name"),
             "site": ("site__name", "site__division__name")}.get(group, ())
    fields = list(dict.fromkeys([room_field, "site__division_id", *names]))
    rows = (rooms.values(*fields, **_HOURS_TEXT).annotate(n=Count("id")) if group != "room"
            else rooms.values(*fields, **_HOURS_TEXT, n=Value(1)))
    rows = list(rows)
    division_of = _division_groups({row["site__division_id"] for row in rows}, group) if group not in _ROOM_FIELD else {}

    groups: dict = {}
    key_of: dict = {}  # the room field's value -> the group's key

    def usage_for(row) -> Usage:
        if group == "room":
            key, made = row["pk"], lambda: Usage(key=row["pk"], label=f"{row['site__name']} · {row['name']}", level="room",
                                                  site_id=row["site_id"], place=row["site__division__name"])
        elif group == "site":
            key, made = row["site_id"], lambda: Usage(key=row["site_id"], label=row["site__name"], level="site",
                                                       site_id=row["site_id"], place=row["site__division__name"])
        else:
            division = division_of[row["site__division_id"]]
            key, made = division["pk"], lambda: Usage(key=division["pk"], label=division["name"], level=division["level"],
                                                       code=division["code"])
        key_of[row[room_field]] = key
        if key not in groups:
            groups[key] = made()
        return groups[key]

    def add_bookable(usage: Usage, hours: dict, sign: float = 1.0) -> None:
        for bucket, value in hours.items():
            usage.bookable_hours += sign * value
            if by:
                usage.periods.setdefault(bucket, {"bookable": 0.0, "booked": 0.0, "used": 0.0})["bookable"] += sign * value

    for row in rows:
        usage = usage_for(row)
        usage.rooms += row["n"]
        usage._places.add(row["site__division_id"])
        if row["site__division_id"] in recorded:
            usage.recorded_rooms += row["n"]
            add_bookable(usage, {k: v * row["n"] for k, v in weeks.row_hours(row).items()})
    for usage in groups.values():
        usage.places, usage.recorded_places = len(usage._places), len(usage._places & recorded)

    # Closures take their hours off the bookable hours of the rooms they shut.
    shut: dict = defaultdict(list)
    for room_id, site_id, start, end in Closure.objects.filter(
            site_id__in=rooms.values("site_id"), starts_at__lt=until, ends_at__gt=since).values_list(
            "room_id", "site_id", "starts_at", "ends_at"):
        shut[("room", room_id) if room_id else ("site", site_id)].append((start, end))
    if shut:
        site_wide = [key[1] for key in shut if key[0] == "site"]
        one_room = [key[1] for key in shut if key[0] == "room"]
        for row in rooms.filter(Q(site_id__in=site_wide) | Q(pk__in=one_room)).values(
                "pk", "site_id", "site__division_id", room_field, **_HOURS_TEXT):
            if row["site__division_id"] not in recorded or row[room_field] not in key_of:
                continue
            closures = shut.get(("room", row["pk"]), []) + shut.get(("site", row["site_id"]), [])
            lost = weeks.closed(weeks.week(row), closures)
            add_bookable(groups[key_of[row[room_field]]], lost, sign=-1.0)

    # Booked and used hours, and no-shows, summed by group (and week or month) in the database.
    booking_field = _BOOKING_FIELD.get(group, "room__site__division_id")
    # The state is tested in the sums, not the filter: the database then reads the bookings by room and start.
    bookings = Booking.objects.filter(room__in=rooms.values("pk"), starts_at__gte=since, starts_at__lt=until)
    keys = [booking_field]
    starts = sorted({_period_start(day, by) for day in _days(period)}) if by else []
    if by:
        bookings = bookings.annotate(bucket=Case(*[When(starts_at__lt=_midnight(next_start), then=Value(n))
                                                   for n, next_start in enumerate(starts[1:])],
                                                 default=Value(len(starts) - 1), output_field=IntegerField()))
        keys.append("bucket")
    hours = _Hours("ends_at", "starts_at")
    for row in bookings.values(*keys).annotate(
            booked=Sum(hours, filter=Q(status__in=BOOKED)), used=Sum(hours, filter=Q(status=BookingStatus.CHECKED_IN)),
            no_shows=Count("id", filter=Q(no_show=True, status__in=BOOKED))).order_by():
        usage = groups.get(key_of.get(row[booking_field]))
        if usage is None:
            continue
        booked, used = round(row["booked"] or 0.0, 6), round(row["used"] or 0.0, 6)
        usage.booked_hours += booked
        usage.used_hours += used
        usage.no_shows += row["no_shows"]
        if by:
            slot = usage.periods.setdefault(starts[row["bucket"]], {"bookable": 0.0, "booked": 0.0, "used": 0.0})
            slot["booked"] += booked
            slot["used"] += used
    return sorted(groups.values(), key=usage_rank)


def _days(period: UsagePeriod):
    day = period.since
    while day < period.until:
        yield day
        day += timedelta(days=1)


class _Hours(Func):
    """The hours from the second moment to the first, worked out by the database (no function of ours per row)."""

    output_field = FloatField()
    template = "(CAST(EXTRACT(EPOCH FROM (%(expressions)s)) AS double precision) / 3600.0)"
    arg_joiner = " - "

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="((julianday(%(expressions)s)) * 24.0)",
                           arg_joiner=") - julianday(", **extra)


def utilisation(*, user, within: Division, period: UsagePeriod, group: str = "room", by: str | None = None) -> list[Usage]:
    """Usage of the rooms the user sees in ``within`` over ``period``, per room, site, community, street
    or district (least used first, those without a record last), per week or month when ``by`` says so."""
    return _usage(_rooms_in(user=user, within=within), period=period, group=group, by=by)


def usage_total(rows: list[Usage], *, label: str = "") -> Usage:
    """The sum of usage rows (of one level): the whole of what they cover."""
    total = Usage(key="total", label=label, level="total")
    for row in rows:
        for name in ("rooms", "recorded_rooms", "places", "recorded_places", "bookable_hours", "booked_hours", "used_hours",
                     "no_shows"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
        for bucket, slot in row.periods.items():
            mine = total.periods.setdefault(bucket, {"bookable": 0.0, "booked": 0.0, "used": 0.0})
            for name, value in slot.items():
                mine[name] += value
    return total


def idle_share(division: Division) -> float:
    """The city's idle threshold: rooms booked less than this share of their bookable hours are idle."""
    return float(param(division=division, key="scheduling.idle_usage_share"))


def idle_rooms(*, user, within: Division, period: UsagePeriod, recorded: set[int] | None = None) -> list[Usage]:
    """Rooms the user sees in ``within`` booked less than the city's idle share of their bookable hours
    over ``period``, least used first (rooms of places that record no bookings are not among them)."""
    threshold = idle_share(within)
    rooms = _rooms_in(user=user, within=within)
    recorded = _recorded_places(rooms, period) if recorded is None else recorded
    # Only rooms of places that record bookings can be idle: the others are not read at all.
    return [usage for usage in _usage(rooms.filter(site__division_id__in=recorded), period=period, recorded=recorded)
            if usage.idle(threshold)]


@dataclass
class UsageOverview:
    """The utilisation page: the rooms under a division by level, their total, and the idle rooms."""

    period: UsagePeriod
    groups: list[Usage]
    total: Usage
    idle: list[Usage]
    threshold: float


def usage_overview(*, user, within: Division, period: UsagePeriod, group: str, by: str | None = None) -> UsageOverview:
    """Usage under ``within`` per ``group`` (street, community, site or room; with weeks or months when
    ``by`` says so), the total, and the idle rooms ranked, least used first."""
    rooms = _rooms_in(user=user, within=within)
    recorded = _recorded_places(rooms, period)
    groups = _usage(rooms, period=period, group=group, by=by, recorded=recorded)
    threshold = idle_share(within)
    idle = ([usage for usage in groups if usage.idle(threshold)] if group == "room"
            else idle_rooms(user=user, within=within, period=period, recorded=recorded))
    return UsageOverview(period=period, groups=groups, total=usage_total(groups), idle=idle, threshold=threshold)


def room_usage(rooms, *, period: UsagePeriod) -> dict[int, Usage]:
    """Usage of each of ``rooms`` (a list or a queryset) over ``period``: what the register, the offers
    of idle rooms and siting read."""
    ids = [room.pk for room in rooms] if isinstance(rooms, list | tuple) else list(rooms.values_list("pk", flat=True))
    if not ids:
        return {}
    return {usage.key: usage for usage in _usage(Room.objects.filter(pk__in=ids).order_by(), period=period)}


def standard_room_usage(rooms, *, division: Division, days: int | None = None,
                        today: date | None = None) -> tuple[UsagePeriod, dict[int, Usage]]:
    """Usage of ``rooms`` over the city's usage window, or over the last ``days`` before today when given
    (the register's usage rates; siting's idle rooms over its own window)."""
    if days:
        today = today or timezone.localdate()
        period = UsagePeriod(today - timedelta(days=days), today, window=days)
    else:
        period = usage_period(division=division, today=today)
    return period, room_usage(rooms, period=period)


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


# Units' open resources (驻区单位开放资源).

def open_resource_list(*, user, category: str | None = None, within: Division | None = None,
                       include_withdrawn: bool = False) -> QuerySet[OpenResource]:
    """The units' resources ``user`` may find (those of their area; a unit's staff, their unit's), by place."""
    resources = visible_to(user, "scheduling.view_openresource", OpenResource.objects.select_related(
        "room__site__division__parent", "room__policy", "unit"))
    if not include_withdrawn:
        resources = resources.filter(withdrawn_on__isnull=True)
    if category:
        resources = resources.filter(category=category)
    if within is not None:
        resources = resources.filter(room__site__division__path__under=within.path)
    return resources.order_by("room__site__division__path", "category", "pk")


def open_resource_get(*, user, pk: int) -> OpenResource:
    return get_for_user(user, "scheduling.view_openresource", OpenResource.objects.select_related(
        "room__site__division__parent", "room__policy", "unit"), pk=pk)


def open_resource_requests(*, resource: OpenResource, pending: bool = False) -> QuerySet[Booking]:
    """The bookings of a resource, soonest first: what its unit's staff decide and follow (the caller
    checks they are the unit's)."""
    bookings = Booking.objects.filter(room_id=resource.room_id).select_related("booker", "organisation")
    if pending:
        return bookings.filter(status=BookingStatus.PENDING).order_by("starts_at", "pk")
    return bookings.filter(ends_at__gte=timezone.now()).exclude(status=BookingStatus.PENDING).order_by("starts_at", "pk")


def open_booking_get(*, user, pk: int) -> Booking:
    """A booking of a resource of a unit ``user`` works for (anything else: not found)."""
    rooms = visible_to(user, "scheduling.change_openresource", OpenResource.objects.all()).values("room_id")
    return _found(Booking.objects.select_related("room__site__division", "room__open_resource__unit", "booker")
                  .filter(room_id__in=rooms, pk=pk).first())


def _found(row):
    if row is None:
        raise NotFound()
    return row


@dataclass
class OpenFigures:
    """The units' resources of one division: how many are open (by category), and their bookings."""

    division: Division
    resources: int = 0
    by_category: dict = field(default_factory=dict)
    units: int = 0
    requests: int = 0
    approved: int = 0
    pending: int = 0


def open_resource_figures(*, within: Division, since: date | None = None, until: date | None = None) -> list[OpenFigures]:
    """Resources open and their bookings in each division one level below ``within`` (a community:
    itself), then the total (in three queries). Bookings are counted by their start within
    [since, until) when given; approved ones are those confirmed, checked in or released."""
    children = list(Division.objects.filter(parent=within).order_by("code")) if within.level not in ("community", "grid") else []
    rows = [OpenFigures(division=d) for d in children] or [OpenFigures(division=within)]
    total = OpenFigures(division=within)

    def row_of(path: str) -> OpenFigures | None:
        return next((r for r in rows if path.startswith(r.division.path)), None)

    units: dict[int, set] = defaultdict(set)
    room_row: dict[int, OpenFigures] = {}
    for room_id, unit_id, category, path, withdrawn_on in (OpenResource.objects.filter(
            room__site__division__path__under=within.path)
            .values_list("room_id", "unit_id", "category", "room__site__division__path", "withdrawn_on")):
        row = row_of(path)
        if row is None:
            continue
        room_row[room_id] = row  # a withdrawn resource's bookings still count
        if withdrawn_on is not None:
            continue
        for target in (row, total):
            target.resources += 1
            target.by_category[category] = target.by_category.get(category, 0) + 1
        units[id(row)].add(unit_id)
        units[id(total)].add(unit_id)
    for target in [*rows, total]:
        target.units = len(units[id(target)])
    bookings = Booking.objects.filter(room__open_resource__isnull=False, room__site__division__path__under=within.path)
    if since is not None:
        bookings = bookings.filter(starts_at__gte=_midnight(since))
    if until is not None:
        bookings = bookings.filter(starts_at__lt=_midnight(until))
    for room_id, status, n in bookings.values_list("room_id", "status").annotate(n=Count("id")).order_by():
        row = room_row.get(room_id)
        if row is None:
            continue
        for target in (row, total):
            target.requests += n
            if status in BOOKED:
                target.approved += n
            elif status == BookingStatus.PENDING:
                target.pending += n
    return [*rows, total]


def open_resource_categories() -> list[tuple[str, str]]:
    return list(ResourceCategory.choices)
