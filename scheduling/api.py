"""API of room scheduling: /api/v1/scheduling/... (bookings, series, approvals, availability, utilisation)."""

from datetime import date, datetime, timedelta

from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from accounts.permissions import holds_any, require
from core.api import ERRORS, PageNumber
from core.errors import PermissionDenied, ValidationFailed
from core.replica import replica_reads
from org.selectors import division_get, organisation_get
from registry.hours import parse_hours
from registry.selectors import site_get

from . import selectors, services
from .schemas import (
    BookingDecisionIn,
    BookingIn,
    BookingOut,
    ChangeIn,
    ClosureIn,
    ClosureOut,
    MoveIn,
    OpenBookingIn,
    OpenFiguresOut,
    OpenResourceChangeIn,
    OpenResourceIn,
    OpenResourceOut,
    OpenResourceWithdrawIn,
    PolicyIn,
    PolicyOut,
    RotationCreatedOut,
    RotationIn,
    RotationOut,
    SeriesIn,
    SeriesOut,
    UsageOut,
    WaitlistIn,
    WaitlistOut,
    WindowOut,
)

router = Router(tags=["scheduling"])
MAX_WINDOW = timedelta(days=62)


def _room_to_book(request, room_id: int):
    room = selectors.room_get(user=request.user, pk=room_id)
    require(request.user, "scheduling.add_booking", room)
    return room


def _organisation(request, organisation_id: int | None):
    return organisation_get(user=request.user, pk=organisation_id) if organisation_id else None


@router.get("/scheduling/bookings", response=list[BookingOut], summary="Bookings in my scope")
@replica_reads
@paginate(PageNumber)
def list_bookings(request, room_id: int | None = None, within: str | None = Query(None, description="Division code"),
                  since: datetime | None = None, until: datetime | None = None, status: str | None = None):
    room = selectors.room_get(user=request.user, pk=room_id) if room_id else None
    within_division = division_get(user=request.user, code=within) if within else None
    return selectors.booking_list(user=request.user, room=room, within=within_division, since=since, until=until, status=status)


@router.get("/scheduling/bookings/mine", response=list[BookingOut], summary="My upcoming bookings")
@paginate(PageNumber)
def my_bookings(request, past: bool = False):
    return selectors.my_bookings(user=request.user, upcoming=not past)


@router.post("/scheduling/bookings", response={201: BookingOut, **ERRORS}, summary="Book a room")
def create_booking(request, payload: BookingIn):
    room = _room_to_book(request, payload.room_id)
    booking = services.booking_create(
        actor=request.user, room=room, start=payload.starts_at, end=payload.ends_at, title=payload.title,
        attendees=payload.attendees, organisation=_organisation(request, payload.organisation_id), purpose=payload.purpose)
    return Status(201, booking)


@router.get("/scheduling/bookings/{booking_id}", response={200: BookingOut, **ERRORS})
def get_booking(request, booking_id: int):
    return selectors.booking_get(user=request.user, pk=booking_id)


@router.post("/scheduling/bookings/{booking_id}/cancel", response={200: list[BookingOut], **ERRORS},
             summary="Cancel one occurrence, this and the following ones, or the series")
def cancel_booking(request, booking_id: int, payload: ChangeIn):
    booking = selectors.booking_get(user=request.user, pk=booking_id)
    return services.booking_cancel(actor=request.user, booking=booking, scope=payload.scope, reason=payload.reason)


@router.post("/scheduling/bookings/{booking_id}/move", response={200: list[BookingOut], **ERRORS},
             summary="Move one occurrence, this and the following ones, or the series")
def move_booking(request, booking_id: int, payload: MoveIn):
    booking = selectors.booking_get(user=request.user, pk=booking_id)
    return services.booking_move(actor=request.user, booking=booking, start=payload.starts_at, end=payload.ends_at, scope=payload.scope)


@router.post("/scheduling/bookings/{booking_id}/decision", response={200: BookingOut, **ERRORS}, summary="Approve or reject")
def decide_booking(request, booking_id: int, payload: BookingDecisionIn):
    booking = selectors.booking_get(user=request.user, pk=booking_id)
    require(request.user, "scheduling.approve_booking", booking.room)
    return services.booking_decide(actor=request.user, booking=booking, approve=payload.approve, note=payload.note)


@router.post("/scheduling/bookings/{booking_id}/check-in", response={200: BookingOut, **ERRORS}, summary="Check in")
def check_in(request, booking_id: int):
    return services.booking_check_in(actor=request.user, booking=selectors.booking_get(user=request.user, pk=booking_id))


@router.post("/scheduling/bookings/{booking_id}/accept", response={200: BookingOut, **ERRORS}, summary="Take a slot offered from the waitlist")
def accept_offer(request, booking_id: int):
    return services.offer_accept(actor=request.user, booking=selectors.booking_get(user=request.user, pk=booking_id))


@router.get("/scheduling/approvals", response=list[BookingOut], summary="Requests awaiting my approval")
@replica_reads
@paginate(PageNumber)
def approvals(request):
    return selectors.approval_queue(user=request.user)


@router.post("/scheduling/series", response={201: SeriesOut, **ERRORS}, summary="Book a recurring slot (RFC 5545 rule)")
def create_series(request, payload: SeriesIn):
    room = _room_to_book(request, payload.room_id)
    series, bookings, left_out = services.series_create(
        actor=request.user, room=room, title=payload.title, dtstart=payload.dtstart, duration_minutes=payload.duration_minutes,
        rrule=payload.rrule, exdates=payload.exdates, skip_conflicts=payload.skip_conflicts, attendees=payload.attendees,
        organisation=_organisation(request, payload.organisation_id))
    return Status(201, {"series_id": series.pk, "booked": bookings, "left_out": left_out})


@router.post("/scheduling/waitlist", response={201: WaitlistOut, **ERRORS}, summary="Wait for a busy slot")
def join_waitlist(request, payload: WaitlistIn):
    room = _room_to_book(request, payload.room_id)
    entry = services.waitlist_join(actor=request.user, room=room, start=payload.starts_at, end=payload.ends_at,
                                   title=payload.title, attendees=payload.attendees)
    return Status(201, {"id": entry.pk, "room_id": room.pk, "starts_at": entry.starts_at, "ends_at": entry.ends_at,
                        "title": entry.title, "status": entry.status})


@router.get("/scheduling/availability", response={200: list[WindowOut], **ERRORS},
            summary="Free windows across the rooms of a division")
def availability(request, within: str, start: datetime, end: datetime, minutes: int = Query(60, ge=5, le=1440),
                 capacity: int = Query(1, ge=1, le=5000), equipment: list[str] = Query(None), function: str | None = None,
                 limit: int = Query(50, ge=1, le=500)):
    if end <= start or end - start > MAX_WINDOW:
        raise ValidationFailed(fields={"end": [_("Search a window of at most 62 days that ends after it starts.")]})
    windows = selectors.availability(user=request.user, within=division_get(user=request.user, code=within), start=start, end=end,
                                     minutes=minutes, capacity=capacity, equipment=equipment or [], function=function, limit=limit)
    return [{"room_id": w.room.pk, "room_name": w.room.name, "site_name": w.room.site.name, "community": w.room.site.division.name,
             "capacity": w.room.capacity, "equipment": w.room.equipment, "start": w.start, "end": w.end,
             "minutes": w.minutes, "score": w.score} for w in windows]


@router.get("/scheduling/rooms/{room_id}/events", response={200: list[dict], **ERRORS}, url_name="room_events",
            summary="A room's calendar (FullCalendar events)")
def room_events(request, room_id: int, start: datetime, end: datetime):
    room = selectors.room_get(user=request.user, pk=room_id)
    if end - start > MAX_WINDOW:
        raise ValidationFailed(fields={"end": [_("Ask for at most 62 days at a time.")]})
    return selectors.calendar_events(user=request.user, rooms=[room], start=start, end=end)


@router.get("/scheduling/calendar/{code}", response={200: list[dict], **ERRORS}, url_name="division_events",
            summary="Every room of a community (events)")
def division_events(request, code: str, start: datetime, end: datetime):
    division = division_get(user=request.user, code=code)
    if end - start > MAX_WINDOW:
        raise ValidationFailed(fields={"end": [_("Ask for at most 62 days at a time.")]})
    rooms = list(selectors.room_list(user=request.user, within=division)[:60])
    return selectors.calendar_events(user=request.user, rooms=rooms, start=start, end=end)


@router.get("/scheduling/rooms/{room_id}/policy", response={200: PolicyOut, **ERRORS}, summary="A room's booking rules")
def get_policy(request, room_id: int):
    room = selectors.room_get(user=request.user, pk=room_id)
    policy = services.policy_for(room)
    return {"room_id": room.pk, **{f: getattr(policy, f) for f in services.POLICY_FIELDS}}


@router.patch("/scheduling/rooms/{room_id}/policy", response={200: PolicyOut, **ERRORS}, summary="Change a room's booking rules")
def update_policy(request, room_id: int, payload: PolicyIn):
    room = selectors.room_get(user=request.user, pk=room_id)
    require(request.user, "scheduling.change_roompolicy", room)
    data = payload.dict(exclude_unset=True)
    if "bookable_hours" in data:
        data["bookable_hours"] = parse_hours(data["bookable_hours"] or "")
    policy = services.policy_update(actor=request.user, room=room, data=data)
    return {"room_id": room.pk, **{f: getattr(policy, f) for f in services.POLICY_FIELDS}}


@router.post("/scheduling/closures", response={201: ClosureOut, **ERRORS}, summary="Close a room or a site for a while")
def create_closure(request, payload: ClosureIn):
    site = site_get(user=request.user, pk=payload.site_id)
    require(request.user, "scheduling.add_closure", site)
    room = selectors.room_get(user=request.user, pk=payload.room_id) if payload.room_id else None
    closure = services.closure_create(actor=request.user, site=site, room=room, start=payload.starts_at, end=payload.ends_at,
                                      reason=payload.reason, cancel_bookings=payload.cancel_bookings)
    return Status(201, closure)


@router.get("/scheduling/rotations", response=list[RotationOut], summary="Department rotations")
@replica_reads
@paginate(PageNumber)
def list_rotations(request, within: str | None = None):
    return selectors.rotation_list(user=request.user, within=division_get(user=request.user, code=within) if within else None)


@router.post("/scheduling/rotations", response={201: RotationCreatedOut, **ERRORS}, summary="Share a room among departments in turn")
def create_rotation(request, payload: RotationIn):
    room = selectors.room_get(user=request.user, pk=payload.room_id)
    require(request.user, "scheduling.add_rotation", room)
    departments = [organisation_get(user=request.user, pk=pk) for pk in payload.department_ids]
    rotation, bookings, skipped = services.rotation_create(
        actor=request.user, room=room, name=payload.name, slots=payload.slots, departments=departments,
        starts_on=payload.starts_on, ends_on=payload.ends_on)
    rotation.booked, rotation.skipped = len(bookings), skipped
    return Status(201, rotation)


@router.get("/scheduling/utilisation", response={200: list[UsageOut], **ERRORS},
            summary="Booked and used hours against bookable hours (until: the day after the last)")
def utilisation(request, within: str, since: date, until: date, group: str = Query("room", pattern="^(room|site|community|street)$"),
                period: str | None = Query(None, pattern="^(week|month)$")):
    if not holds_any(request.user, "scheduling.view_utilisation"):
        raise PermissionDenied()
    if until <= since or (until - since).days > 400:
        raise ValidationFailed(fields={"until": [_("Ask for at most 400 days that end after they start.")]})
    division = division_get(user=request.user, code=within)
    threshold = selectors.idle_share(division)
    rows = selectors.utilisation(user=request.user, within=division, period=selectors.UsagePeriod(since, until), group=group,
                                 by=period)
    return [{"key": str(u.key), "label": u.label, "rooms": u.rooms, "recorded": u.recorded, "bookable_hours": round(u.bookable_hours, 1),
             "booked_hours": round(u.booked_hours, 1), "used_hours": round(u.used_hours, 1),
             "rate": round(u.rate, 3) if u.rate is not None else None,
             "used_rate": round(u.used_rate, 3) if u.used_rate is not None else None, "no_shows": u.no_shows,
             "idle": u.idle(threshold),
             "periods": [{"period": str(k), **{n: round(v, 1) for n, v in p.items()}} for k, p in sorted(u.periods.items(), key=lambda i: str(i[0]))]}
            for u in rows]



# Units' open resources (驻区单位开放资源): registered and decided by the unit's staff, found and booked by the area.

def _unit_of_staff(request, unit_id: int):
    unit = organisation_get(user=request.user, pk=unit_id)
    require(request.user, "scheduling.add_openresource", unit)
    return unit


@router.get("/scheduling/open-resources", response=list[OpenResourceOut], summary="Units' resources open to me")
@replica_reads
@paginate(PageNumber)
def list_open_resources(request, category: str | None = None, within: str | None = Query(None, description="Division code")):
    within_division = division_get(user=request.user, code=within) if within else None
    return selectors.open_resource_list(user=request.user, category=category or None, within=within_division)


@router.post("/scheduling/open-resources", response={201: OpenResourceOut, **ERRORS}, summary="Open a unit's resource to residents")
def register_open_resource(request, payload: OpenResourceIn):
    unit = _unit_of_staff(request, payload.unit_id)
    community = division_get(user=request.user, code=payload.community_code)
    resource = services.open_resource_register(
        actor=request.user, unit=unit, community=community, name=payload.name, category=payload.category,
        opening_hours=parse_hours(payload.opening_hours), rules=payload.rules, capacity=payload.capacity, area=payload.area,
        address=payload.address, max_minutes=payload.max_minutes, open_until=payload.open_until)
    return Status(201, resource)


@router.get("/scheduling/open-resources/figures", response={200: list[OpenFiguresOut], **ERRORS},
            summary="Units' resources open, and their bookings, by street or district")
def open_resource_figures(request, within: str = Query(..., description="Division code"), since: date | None = None,
                          until: date | None = None):
    division = division_get(user=request.user, code=within)
    require(request.user, "scheduling.view_openresource_figures", division)
    return [{"code": row.division.code, "name": row.division.name, "resources": row.resources, "units": row.units,
             "by_category": row.by_category, "requests": row.requests, "approved": row.approved, "pending": row.pending}
            for row in selectors.open_resource_figures(within=division, since=since, until=until)]


@router.get("/scheduling/open-resources/{resource_id}", response={200: OpenResourceOut, **ERRORS})
def get_open_resource(request, resource_id: int):
    return selectors.open_resource_get(user=request.user, pk=resource_id)


@router.patch("/scheduling/open-resources/{resource_id}", response={200: OpenResourceOut, **ERRORS}, summary="Change a unit's resource")
def change_open_resource(request, resource_id: int, payload: OpenResourceChangeIn):
    resource = selectors.open_resource_get(user=request.user, pk=resource_id)
    require(request.user, "scheduling.change_openresource", resource)
    data = payload.dict(exclude_unset=True, exclude_none=True)
    if "opening_hours" in data:
        data["opening_hours"] = parse_hours(data["opening_hours"])
    return services.open_resource_update(actor=request.user, resource=resource, data=data)


@router.post("/scheduling/open-resources/{resource_id}/withdrawal", response={200: OpenResourceOut, **ERRORS},
             summary="Stop opening a unit's resource")
def withdraw_open_resource(request, resource_id: int, payload: OpenResourceWithdrawIn):
    resource = selectors.open_resource_get(user=request.user, pk=resource_id)
    require(request.user, "scheduling.change_openresource", resource)
    return services.open_resource_withdraw(actor=request.user, resource=resource, reason=payload.reason)


@router.post("/scheduling/open-resources/{resource_id}/bookings", response={201: BookingOut, **ERRORS},
             summary="Ask to use a unit's resource (the unit approves)")
def book_open_resource(request, resource_id: int, payload: OpenBookingIn):
    resource = selectors.open_resource_get(user=request.user, pk=resource_id)
    require(request.user, "scheduling.add_booking", resource.room)
    booking = services.open_resource_book(actor=request.user, resource=resource, start=payload.starts_at, end=payload.ends_at,
                                          title=payload.title, attendees=payload.attendees, purpose=payload.purpose)
    return Status(201, booking)


@router.get("/scheduling/open-resources/{resource_id}/requests", response={200: list[BookingOut], **ERRORS},
            summary="Requests for a unit's resource (its staff)")
def open_resource_requests(request, resource_id: int, pending: bool = True):
    resource = selectors.open_resource_get(user=request.user, pk=resource_id)
    require(request.user, "scheduling.change_openresource", resource)
    return list(selectors.open_resource_requests(resource=resource, pending=pending).select_related("room__site")[:200])


@router.post("/scheduling/open-resources/requests/{booking_id}/decision", response={200: BookingOut, **ERRORS},
             summary="The unit approves or refuses a request for its resource")
def decide_open_booking(request, booking_id: int, payload: BookingDecisionIn):
    booking = selectors.open_booking_get(user=request.user, pk=booking_id)
    return services.booking_decide(actor=request.user, booking=booking, approve=payload.approve, note=payload.note)
