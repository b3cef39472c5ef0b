"""The platform's suggestions to merge idle rooms of the same function [Huli] and to swap rooms whose
place or size cannot serve their function [Haining], and the street's decision on each.

Idle rooms are scheduling's (``scheduling.selectors.idle_rooms`` over the city's usage window: the
same rooms the utilisation page calls idle); which rooms are neighbours and what a function needs
are the city's rules (``idle_room_merge``, ``room_fit``). Generating is idempotent: a pair of rooms
with an open suggestion, or one the street dismissed lately (``registry.suggestion_quiet_days``), is
not suggested again. An accepted merge closes the merged-away room and moves its functions to the
kept one through ``room_update``, so the register's history and the filings record it.
"""

import math
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from core.errors import Conflict, ValidationFailed
from org.models import Division, DivisionLevel
from rulepack.selectors import param, rule, rules_for

from ..models import Function, Room, RoomSuggestion, SuggestionKind, SuggestionStatus
from .sites import room_update


def street_of(division: Division) -> Division | None:
    """The street a site's community (or the street itself) belongs to."""
    if division.level == DivisionLevel.STREET:
        return division
    if division.level == DivisionLevel.COMMUNITY:
        return division.parent
    return None


def _point(room: Room) -> tuple[float, float] | None:
    site, place = room.site, room.site.division
    if site.latitude is not None and site.longitude is not None:
        return float(site.latitude), float(site.longitude)
    if place.latitude is not None and place.longitude is not None:
        return float(place.latitude), float(place.longitude)
    return None


def distance_m(a: Room, b: Room) -> float | None:
    """How far apart two rooms' sites are (by the sites' points, else their communities' centres)."""
    pa, pb = _point(a), _point(b)
    if pa is None or pb is None:
        return None
    lat1, lon1, lat2, lon2 = map(math.radians, (*pa, *pb))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def room_figures(room: Room, rate: float | None) -> dict:
    """What a suggestion shows of a room: its place, area, floor, lift, usage rate and functions."""
    return {"id": room.pk, "name": room.name, "site": room.site.name, "place": room.site.division.name,
            "area": str(room.area), "floor": room.floor, "lift": room.site.has_lift,
            "rate": None if rate is None else round(rate * 100, 1),
            "functions": [f.name for f in room.functions.all()]}


def merge_key(room: Room, keep: Room) -> str:
    low, high = sorted((room.pk, keep.pk))
    return f"merge:{low}:{high}"


def check_merge(room: Room, keep: Room) -> None:
    """Two rooms may be merged: distinct, both in use, in the same street."""
    if room.pk == keep.pk:
        raise ValidationFailed(fields={"keep": [_("A room cannot be merged into itself.")]})
    if room.closed_on is not None or keep.closed_on is not None:
        raise Conflict(_("Only rooms in use can be merged."))
    if street_of(room.site.division) != street_of(keep.site.division) or street_of(room.site.division) is None:
        raise ValidationFailed(fields={"keep": [_("Rooms are merged within one street: %(room)s and %(keep)s are in "
                                                   "different streets.") % {"room": room, "keep": keep}]})


def _quiet_keys(street_ids: set[int], now: datetime, days: int) -> set[str]:
    """Keys with an open suggestion, or dismissed within the last ``days``: not suggested again."""
    recent = RoomSuggestion.objects.filter(street_id__in=street_ids).exclude(status=SuggestionStatus.ACCEPTED)
    recent = recent.filter(status=SuggestionStatus.OPEN) | recent.filter(
        status=SuggestionStatus.DISMISSED, decided_at__gte=now - timedelta(days=days))
    return set(recent.values_list("key", flat=True))


def _create(*, actor, kind: str, street: Division, room: Room, keep: Room | None, key: str, figures: dict,
            now: datetime) -> RoomSuggestion | None:
    try:
        with transaction.atomic():
            suggestion = RoomSuggestion.objects.create(kind=kind, street=street, room=room, keep=keep, key=key,
                                                       figures=figures, created_at=now)
    except IntegrityError:
        return None  # a suggestion for these rooms opened meanwhile
    audit_record(actor=actor, action=f"registry.suggestion.{kind}", target=suggestion, division=room.site.division,
                 changes={"room": room.pk, "keep": keep.pk if keep else None})
    return suggestion


def _rooms(ids) -> dict[int, Room]:
    functions = Prefetch("functions", queryset=Function.objects.order_by("aspect__order", "order"))
    return Room.objects.select_related("site__division__parent").prefetch_related(functions).in_bulk(ids)


def _merges(*, actor, idle: dict[int, float | None], skip: set[str], max_distance: float, period, now) -> int:
    rooms = _rooms(idle)
    used: set[int] = set()
    made = 0
    # Least used first: each idle room goes into the best used idle room of a function in common nearby.
    for room in sorted(rooms.values(), key=lambda r: (idle[r.pk] or 0.0, r.area, r.pk)):
        street = street_of(room.site.division)
        if room.pk in used or street is None:
            continue
        codes = {f.code for f in room.functions.all()}
        candidates = []
        for other in rooms.values():
            if other.pk == room.pk or other.pk in used or street_of(other.site.division) != street:
                continue
            shared = codes & {f.code for f in other.functions.all()}
            if not shared:
                continue
            apart = distance_m(room, other)
            near = other.site.division_id == room.site.division_id or (apart is not None and apart <= max_distance)
            if near and merge_key(room, other) not in skip:
                candidates.append((idle[other.pk] or 0.0, other.area, -other.pk, other, shared, apart))
        if not candidates:
            continue
        *_rank, keep, shared, apart = max(candidates, key=lambda c: c[:3])
        figures = {"period": str(period), "functions": sorted(f.name for f in keep.functions.all() if f.code in shared),
                   "distance_m": None if apart is None else round(apart),
                   "rooms": [room_figures(room, idle[room.pk]), room_figures(keep, idle[keep.pk])]}
        if _create(actor=actor, kind=SuggestionKind.MERGE, street=street, room=room, keep=keep,
                   key=merge_key(room, keep), figures=figures, now=now):
            made += 1
            used |= {room.pk, keep.pk}
    return made


def unfit_reasons(room: Room, fit_rules) -> list[dict]:
    """Why a room cannot serve its function, by the city's ``room_fit`` rules: each with its rule and figures."""
    codes = {f.code for f in room.functions.all()}
    reasons = []
    for fit in fit_rules:
        names = [f.name for f in room.functions.all() if f.code in fit.params["functions"]]
        if not codes & set(fit.params["functions"]):
            continue
        highest = fit.params.get("max_floor_without_lift")
        if highest is not None and room.floor > highest and not room.site.has_lift:
            reasons.append({"rule": fit.key, "title": fit.title, "check": "floor", "functions": names,
                            "value": room.floor, "limit": highest})
        least = fit.params.get("min_area_m2")
        if least is not None and float(room.area) < float(least):
            reasons.append({"rule": fit.key, "title": fit.title, "check": "area", "functions": names,
                            "value": str(room.area), "limit": least})
    return reasons


def _swaps(*, actor, within: Division, skip: set[str], period, now) -> int:
    from scheduling.selectors import room_usage

    fit_rules = rules_for(division=within, module="registry", kind="room_fit")
    codes = {code for fit in fit_rules for code in fit.params["functions"]}
    if not codes:
        return 0
    ids = Room.objects.own_space_in_use().filter(site__division__path__under=within.path, functions__code__in=codes).values_list("pk", flat=True).distinct()
    unfit = []
    for room in _rooms(list(ids)).values():
        reasons = unfit_reasons(room, fit_rules)
        if reasons and street_of(room.site.division) is not None and f"swap:{room.pk}" not in skip:
            unfit.append((room, reasons))
    usage = room_usage([room for room, _reasons in unfit], period=period)
    made = 0
    for room, reasons in sorted(unfit, key=lambda pair: pair[0].pk):
        street = street_of(room.site.division)
        rate = usage[room.pk].rate if room.pk in usage else None
        figures = {"period": str(period), "reasons": reasons, "rooms": [room_figures(room, rate)]}
        if _create(actor=actor, kind=SuggestionKind.SWAP, street=street, room=room, keep=None, key=f"swap:{room.pk}",
                   figures=figures, now=now):
            made += 1
    return made


@transaction.atomic
def room_suggestions_generate(*, actor, within: Division, today: date | None = None, now: datetime | None = None) -> dict:
    """Suggest merges of idle rooms and swaps of unfit rooms under ``within`` (a street, district or city);
    how many of each were new."""
    from scheduling.selectors import idle_rooms, usage_period

    if within.level not in (DivisionLevel.CITY, DivisionLevel.DISTRICT, DivisionLevel.STREET):
        raise ValidationFailed(fields={"division": [_("Suggestions are made for a street, a district or a city.")]})
    now = now or timezone.now()
    period = usage_period(division=within, today=today or timezone.localdate(now))
    idle = {usage.key: usage.rate for usage in idle_rooms(user=None, within=within, period=period)}
    streets = set(Division.objects.filter(path__under=within.path, level=DivisionLevel.STREET).values_list("pk", flat=True))
    skip = _quiet_keys(streets, now, int(param(division=within, key="registry.suggestion_quiet_days")))
    merge_rule = rule(division=within, key="registry.idle_room_merge") or next(
        iter(rules_for(division=within, module="registry", kind="idle_room_merge")), None)
    merges = 0
    if merge_rule is not None:
        merges = _merges(actor=actor, idle=idle, skip=skip, max_distance=float(merge_rule.params["max_distance_m"]),
                         period=period, now=now)
    swaps = _swaps(actor=actor, within=within, skip=skip, period=period, now=now)
    return {"merge": merges, "swap": swaps}


def room_suggestions_due(now: datetime) -> str:
    """The clock's job: once a day, the suggestions of every city (a day already done is skipped)."""
    from django.core.cache import cache

    today = timezone.localdate(now)
    done = []
    for city in Division.objects.filter(level=DivisionLevel.CITY):
        if not cache.add(f"registry:room-suggestions:{city.pk}:{today.isoformat()}", 1, timeout=2 * 86400):
            continue
        made = room_suggestions_generate(actor="schedule", within=city, today=today, now=now)
        if made["merge"] or made["swap"]:
            done.append(f"{city.name} {made['merge']}+{made['swap']}")
    return ", ".join(done)


@transaction.atomic
def room_merge_propose(*, actor, room: Room, keep: Room, now: datetime | None = None) -> RoomSuggestion:
    """A street proposes a merge of its own (it is then decided like the platform's)."""
    from scheduling.selectors import room_usage, usage_period

    rooms = _rooms([room.pk, keep.pk])
    room, keep = rooms[room.pk], rooms[keep.pk]
    check_merge(room, keep)
    now = now or timezone.now()
    period = usage_period(division=room.site.division, today=timezone.localdate(now))
    usage = room_usage([room, keep], period=period)
    figures = {"period": str(period), "functions": sorted({f.name for f in room.functions.all()} & {f.name for f in keep.functions.all()}),
               "distance_m": None if distance_m(room, keep) is None else round(distance_m(room, keep)),
               "rooms": [room_figures(r, usage[r.pk].rate if r.pk in usage else None) for r in (room, keep)]}
    suggestion = _create(actor=actor, kind=SuggestionKind.MERGE, street=street_of(room.site.division), room=room, keep=keep,
                         key=merge_key(room, keep), figures=figures, now=now)
    if suggestion is None:
        raise Conflict(_("A suggestion for these rooms is already open."))
    return suggestion


def _locked(suggestion: RoomSuggestion) -> RoomSuggestion:
    found = RoomSuggestion.objects.select_for_update(of=("self",)).select_related("street").get(pk=suggestion.pk)
    if found.status != SuggestionStatus.OPEN:
        raise Conflict(_("This suggestion is already %(status)s.") % {"status": found.get_status_display()})
    return found


def _append(note: str, line: str) -> str:
    return f"{note.rstrip()}\n{line}" if note.strip() else line


@transaction.atomic
def room_suggestion_accept(*, actor, suggestion: RoomSuggestion, note: str = "", today: date | None = None,
                           now: datetime | None = None) -> RoomSuggestion:
    """The street accepts: a merge closes the merged-away room and moves its functions to the kept room; a
    swap records on the room that it is to be swapped. Both through ``room_update`` (history and filings)."""
    suggestion = _locked(suggestion)
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    rooms = _rooms([suggestion.room_id, suggestion.keep_id] if suggestion.keep_id else [suggestion.room_id])
    room = rooms[suggestion.room_id]
    if suggestion.kind == SuggestionKind.MERGE:
        keep = rooms[suggestion.keep_id]
        check_merge(room, keep)
        moved = sorted({f.code for f in keep.functions.all()} | {f.code for f in room.functions.all()})
        room_update(actor=actor, room=keep, data={}, functions=moved)
        line = str(_("Merged into %(room)s on %(date)s.") % {"room": keep, "date": today.isoformat()})
        room_update(actor=actor, room=room, data={"closed_on": today, "note": _append(room.note, _append(line, note.strip()))},
                    functions=[])
        # Other open suggestions naming the closed room no longer stand.
        for other in RoomSuggestion.objects.filter(status=SuggestionStatus.OPEN).exclude(pk=suggestion.pk).filter(
                room=room) | RoomSuggestion.objects.filter(status=SuggestionStatus.OPEN, keep=room).exclude(pk=suggestion.pk):
            room_suggestion_dismiss(actor=actor, suggestion=other, reason=str(line), now=now)
    else:
        if room.closed_on is not None:
            raise Conflict(_("This room is no longer in use."))
        reasons = "；".join(r["title"] for r in suggestion.figures.get("reasons", []))
        line = str(_("To be swapped (accepted on %(date)s): %(reasons)s") % {"date": today.isoformat(), "reasons": reasons})
        room_update(actor=actor, room=room, data={"note": _append(room.note, _append(line, note.strip()))})
    suggestion.status, suggestion.decided_at, suggestion.reason = SuggestionStatus.ACCEPTED, now, note.strip()[:300]
    suggestion.decided_by = actor if not isinstance(actor, str) else None
    suggestion.save(update_fields=["status", "decided_at", "decided_by", "reason"])
    audit_record(actor=actor, action="registry.suggestion.accepted", target=suggestion, division=room.site.division,
                 changes={"kind": suggestion.kind, "room": room.pk, "keep": suggestion.keep_id}, note=note.strip())
    return suggestion


@transaction.atomic
def room_suggestion_dismiss(*, actor, suggestion: RoomSuggestion, reason: str, now: datetime | None = None) -> RoomSuggestion:
    if not reason.strip():
        raise ValidationFailed(fields={"reason": [_("Say why the suggestion is dismissed.")]})
    suggestion = _locked(suggestion)
    suggestion.status, suggestion.decided_at, suggestion.reason = SuggestionStatus.DISMISSED, now or timezone.now(), reason.strip()[:300]
    suggestion.decided_by = actor if not isinstance(actor, str) else None
    suggestion.save(update_fields=["status", "decided_at", "decided_by", "reason"])
    audit_record(actor=actor, action="registry.suggestion.dismissed", target=suggestion, division=suggestion.room.site.division,
                 changes={"kind": suggestion.kind, "room": suggestion.room_id, "keep": suggestion.keep_id}, note=reason.strip())
    return suggestion
