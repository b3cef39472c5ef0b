"""API of the smart neighbourhood: /api/v1/neighbourhood/... (needs, matching, activities and
registrations, check-in, person-times, service orders, feedback, households). Open311 GeoReport
v2 is served separately under /open311/v2/ (``neighbourhood.open311``)."""

from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from accounts.permissions import holds_any, require
from core import ratelimit
from core.api import ERRORS, PageNumber
from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.listcache import cached_list
from core.replica import replica_reads
from org.models import DivisionLevel, OrganisationKind
from org.selectors import division_get
from registry.models import Room

from . import matching, selectors, services
from .personal_data import registrations_opened
from .schemas import (
    AcceptIn,
    ActivityIn,
    ActivityOut,
    ActivityRatingOut,
    AttendanceOut,
    CancelIn,
    CodeIn,
    DeliverIn,
    FeedbackIn,
    FeedbackOut,
    FeedbackPublicIn,
    FeedbackUpdateIn,
    HouseholdIn,
    HouseholdOut,
    InvitationIn,
    InvitationOut,
    MatchOut,
    NeedIn,
    NeedKindOut,
    NeedMarkIn,
    NeedOut,
    NeighbourhoodReasonIn,
    OrderIn,
    OrderOut,
    PersonTimesOut,
    RateIn,
    RegistrationIn,
    RegistrationOut,
    ScheduleIn,
    StarsIn,
)

router = Router(tags=["neighbourhood"])
P = "/neighbourhood"


def _within(request, code: str | None):
    return division_get(user=request.user, code=code) if code else None


# Needs.

@router.get(f"{P}/need-kinds", response=list[NeedKindOut], summary="The catalogue of kinds of need")
def need_kinds(request, category: str | None = None):
    return list(selectors.need_kinds(category=category))


@router.get(f"{P}/needs", response=list[NeedOut], summary="Needs in my scope, most supported first")
@replica_reads
@paginate(PageNumber)
def list_needs(request, within: str | None = Query(None, description="Division code"), category: str | None = None,
               status: str | None = None):
    return selectors.need_list(user=request.user, within=_within(request, within), category=category, status=status)


@router.post(f"{P}/needs", response={201: NeedOut, **ERRORS}, summary="Record a need")
def record_need(request, payload: NeedIn):
    community, grid = selectors.need_place(user=request.user, community=payload.community, grid=payload.grid)
    if community is None or community.level != DivisionLevel.COMMUNITY:
        raise ValidationFailed(fields={"community": [_("Give the community's code.")]})
    # A grid worker's permission is at their grid, where the need is filed.
    require(request.user, "neighbourhood.add_need", grid or community)
    kind = selectors.need_kinds().filter(code=payload.kind).first()
    if kind is None:
        raise ValidationFailed(fields={"kind": [_("Unknown kind of need.")]})
    need = services.need_record(actor=request.user, community=community, kind=kind, title=payload.title, description=payload.description,
                                preferred_tier=payload.preferred_tier or "", grid=grid, on_behalf_of=payload.on_behalf_of)
    return Status(201, need)


@router.get(P + "/needs/{need_id}", response={200: NeedOut, **ERRORS})
def get_need(request, need_id: int):
    return selectors.need_get(user=request.user, pk=need_id)


@router.post(P + "/needs/{need_id}/support", response={200: NeedOut, **ERRORS}, summary="Support a need (once)")
def support_need(request, need_id: int):
    return services.need_support(actor=request.user, need=selectors.need_get(user=request.user, pk=need_id))


@router.post(P + "/needs/{need_id}/status", response={200: NeedOut, **ERRORS}, summary="Mark a need planned, met or not taken up")
def mark_need(request, need_id: int, payload: NeedMarkIn):
    need = selectors.need_get(user=request.user, pk=need_id)
    require(request.user, "neighbourhood.change_need", need)
    service = _agreed_service(request, need.community, payload.service_id)
    activity = selectors.activity_get(user=request.user, pk=payload.activity_id) if payload.activity_id else None
    order = selectors.order_get(user=request.user, pk=payload.order_id) if payload.order_id else None
    operator = selectors.operator_for_community(user=request.user, community=need.community, pk=payload.operator_id) \
        if payload.operator_id else None
    return services.need_mark(actor=request.user, need=need, status=payload.status, note=payload.note, service=service, activity=activity,
                              order=order, operator=operator)


def _agreed_service(request, community, service_id: int | None):
    """An agreed service by its id, offered in ``community`` or under an agreement the user sees (the service
    then checks it is offered where it is used); 404 for any other, its name never told."""
    if not service_id:
        return None
    return selectors.agreed_service_for(user=request.user, community=community, pk=service_id)


@router.get(P + "/needs/{need_id}/matches", response={200: list[MatchOut], **ERRORS},
            summary="Operators and services that could meet a need, ranked")
def need_matches(request, need_id: int, limit: int = Query(10, ge=1, le=50)):
    need = selectors.need_get(user=request.user, pk=need_id)
    require(request.user, "neighbourhood.change_need", need)
    return [{"kind": m.kind, "name": m.name, "operator_id": m.operator.pk if m.operator else None,
             "activity_id": m.activity.pk if m.activity else None, "service_id": m.service.pk if m.service else None,
             "score": m.score, "scores": m.scores, "distance_km": m.distance_km} for m in matching.matches_for(need, limit=limit)]


@router.post(P + "/needs/{need_id}/invitations", response={201: InvitationOut, **ERRORS}, summary="Invite an operator to meet a need")
def invite(request, need_id: int, payload: InvitationIn):
    need = selectors.need_get(user=request.user, pk=need_id)
    require(request.user, "neighbourhood.change_need", need)
    # Whether this operator may be invited here (admitted, not blacklisted or suspended) is the service's to say.
    operator = selectors.operator_for_invitation(user=request.user, need=need, pk=payload.operator_id)
    invitation = services.invitation_send(actor=request.user, need=need, operator=operator,
                                          service=_agreed_service(request, need.community, payload.service_id),
                                          message=payload.message)
    return Status(201, invitation)


# Activities.

@router.get(f"{P}/activities", response=list[ActivityOut], summary="Activities and courses in my scope")
@cached_list(models=selectors.ACTIVITY_LIST_MADE_OF, perms=["neighbourhood.view_activity", "org.view_division"])
@replica_reads
@paginate(PageNumber)
def list_activities(request, within: str | None = Query(None, description="Division code"), since: datetime | None = None,
                    until: datetime | None = None, category: str | None = None):
    return selectors.activity_list(user=request.user, within=_within(request, within), since=since, until=until, category=category)


@router.post(f"{P}/activities", response={201: ActivityOut, **ERRORS}, summary="Publish an activity or a course")
def publish_activity(request, payload: ActivityIn):
    community = division_get(user=request.user, code=payload.community)
    if not holds_any(request.user, "neighbourhood.add_activity"):
        raise PermissionDenied()
    room = None
    if payload.room_id:
        room = Room.objects.select_related("site__division").filter(pk=payload.room_id, site__division__path__under=community.path).first() \
            or Room.objects.select_related("site__division").filter(pk=payload.room_id).first()
        if room is None or not (community.path.startswith(room.site.division.path) or room.site.division.path.startswith(community.path)):
            raise NotFound()
    organiser = selectors.operator_for_community(user=request.user, community=community, pk=payload.organiser_id,
                                                 kinds=OrganisationKind.values) if payload.organiser_id else None
    activity = services.activity_publish(
        actor=request.user, community=community, title=payload.title, description=payload.description, category=payload.category,
        tier=payload.tier, price=payload.price, capacity=payload.capacity, audience=payload.audience, room=room, place=payload.place,
        starts_at=payload.starts_at, ends_at=payload.ends_at, rrule=payload.rrule, organiser=organiser,
        registration_closes_at=payload.registration_closes_at, waitlist=payload.waitlist,
        places_per_registration=payload.places_per_registration)
    return Status(201, activity)


@router.get(P + "/activities/{activity_id}", response={200: ActivityOut, **ERRORS})
def get_activity(request, activity_id: int):
    return selectors.activity_get(user=request.user, pk=activity_id)


@router.post(P + "/activities/{activity_id}/cancel", response={200: ActivityOut, **ERRORS}, summary="Cancel an activity")
def cancel_activity(request, activity_id: int, payload: NeighbourhoodReasonIn):
    activity = selectors.activity_get(user=request.user, pk=activity_id)
    require(request.user, "neighbourhood.change_activity", activity)
    return services.activity_cancel(actor=request.user, activity=activity, reason=payload.reason)


@router.post(P + "/activities/{activity_id}/registrations", response={201: RegistrationOut, **ERRORS},
             summary="Register (a place, or the waitlist when full)")
def register(request, activity_id: int, payload: RegistrationIn):
    activity = selectors.activity_get(user=request.user, pk=activity_id)
    require(request.user, "neighbourhood.register_activity", activity)
    return Status(201, services.registration_create(actor=request.user, activity=activity, places=payload.places))


@router.post(P + "/activities/{activity_id}/rating", response={201: ActivityRatingOut, **ERRORS},
             summary="Rate an activity one took part in (1–5 stars, once)")
def rate_activity(request, activity_id: int, payload: StarsIn):
    activity = selectors.activity_get(user=request.user, pk=activity_id)
    require(request.user, "neighbourhood.register_activity", activity)
    return Status(201, services.activity_rate(actor=request.user, activity=activity, stars=payload.stars, comment=payload.comment))


@router.get(P + "/activities/{activity_id}/registrations", response={200: list[RegistrationOut], **ERRORS},
            summary="Who registered and who waits (staff)")
def activity_registrations(request, activity_id: int):
    activity = selectors.activity_get(user=request.user, pk=activity_id)
    require(request.user, "neighbourhood.change_activity", activity)
    rows = list(selectors.registrations_of(activity=activity).select_related("activity"))
    registrations_opened(user=request.user, activity=activity, registrations=rows)
    return rows


@router.post(P + "/activities/{activity_id}/check-in", response={201: AttendanceOut, **ERRORS},
             summary="Check myself in with the attendance code (or its QR code)")
def check_in_with_code(request, activity_id: int, payload: CodeIn):
    activity = selectors.activity_get(user=request.user, pk=activity_id)
    return Status(201, services.check_in_with_code(actor=request.user, activity=activity, code=payload.code))


@router.post(P + "/registrations/{registration_id}/check-in", response={201: AttendanceOut, **ERRORS},
             summary="Check a registered person in to the session at hand (staff list)")
def check_in_from_list(request, registration_id: int):
    registration = selectors.registration_get(user=request.user, pk=registration_id)
    require(request.user, "neighbourhood.change_activity", registration.activity)
    session = services.current_session(registration.activity, timezone.now())
    if session is None:
        raise ValidationFailed(_("No session of this activity is open for check-in now."))
    return Status(201, services.check_in(actor=request.user, session=session, registration=registration))


@router.post(P + "/registrations/{registration_id}/cancel", response={200: RegistrationOut, **ERRORS}, summary="Cancel a registration")
def cancel_registration(request, registration_id: int):
    registration = selectors.registration_get(user=request.user, pk=registration_id)
    return services.registration_cancel(actor=request.user, registration=registration)


@router.get(f"{P}/registrations/mine", response=list[RegistrationOut], summary="My registrations")
@paginate(PageNumber)
def my_registrations(request, past: bool = False):
    return selectors.my_registrations(user=request.user, upcoming=not past)


@router.get(f"{P}/person-times", response={200: list[PersonTimesOut], **ERRORS}, summary="Person-times (人次) counted from check-ins")
def person_times(request, within: str, since: date, until: date, by: str = Query("community", pattern="^(community|activity|month)$")):
    if not holds_any(request.user, "neighbourhood.view_persontimes"):
        raise PermissionDenied()
    if until < since or (until - since) > timedelta(days=selectors.PERSON_TIMES_MAX_DAYS):
        raise ValidationFailed(fields={"until": [_("Ask for at most %(n)s days that end after they start.") % {
            "n": selectors.PERSON_TIMES_MAX_DAYS}]})
    return selectors.person_times(user=request.user, within=division_get(user=request.user, code=within), since=since, until=until, by=by)


# Service orders.

@router.get(f"{P}/orders", response=list[OrderOut], summary="Service orders in my scope")
@replica_reads
@paginate(PageNumber)
def list_orders(request, within: str | None = Query(None, description="Division code"), status: str | None = None):
    return selectors.order_list(user=request.user, within=_within(request, within), status=status)


@router.get(f"{P}/orders/mine", response=list[OrderOut], summary="My orders (and those I joined)")
@paginate(PageNumber)
def my_orders(request):
    return selectors.my_orders(user=request.user)


@router.post(f"{P}/orders", response={201: OrderOut, **ERRORS}, summary="Order a service (群众点单)")
def place_order(request, payload: OrderIn):
    community = services.resident_community(request.user)
    if community is None:
        raise PermissionDenied(_("Only residents order services."))
    service = _agreed_service(request, community, payload.service_id)
    operator = selectors.operator_for_community(user=request.user, community=community, pk=payload.operator_id) \
        if payload.operator_id else None
    need = selectors.need_get(user=request.user, pk=payload.need_id) if payload.need_id else None
    order = services.order_place(actor=request.user, service=service, operator=operator, category=payload.category or "",
                                 title=payload.title, details=payload.details, preferred_time=payload.preferred_time, need=need,
                                 pooled=payload.pooled, participants=payload.participants)
    return Status(201, order)


@router.get(P + "/orders/{order_id}", response={200: OrderOut, **ERRORS})
def get_order(request, order_id: int):
    return selectors.order_get(user=request.user, pk=order_id)


@router.post(P + "/orders/{order_id}/accept", response={200: OrderOut, **ERRORS}, summary="Accept an order (机构接单)")
def accept_order(request, order_id: int, payload: AcceptIn):
    order = selectors.order_get(user=request.user, pk=order_id)
    operator = next((o for o in services.operator_of(request.user) if o.pk == payload.operator_id), None)
    if operator is None:
        raise PermissionDenied(_("You accept orders for your own organisation only."))
    return services.order_accept(actor=request.user, order=order, operator=operator)


@router.post(P + "/orders/{order_id}/decline", response={200: OrderOut, **ERRORS})
def decline_order(request, order_id: int, payload: NeighbourhoodReasonIn):
    return services.order_decline(actor=request.user, order=selectors.order_get(user=request.user, pk=order_id), reason=payload.reason)


@router.post(P + "/orders/{order_id}/schedule", response={200: OrderOut, **ERRORS}, summary="Supply the room and time (社区供单)")
def schedule_order(request, order_id: int, payload: ScheduleIn):
    order = selectors.order_get(user=request.user, pk=order_id)
    require(request.user, "neighbourhood.change_serviceorder", order)
    room = Room.objects.select_related("site__division").filter(pk=payload.room_id, site__division__path__under=order.community.path).first()
    if room is None:
        raise NotFound()
    return services.order_schedule(actor=request.user, order=order, room=room, start=payload.starts_at, end=payload.ends_at)


@router.post(P + "/orders/{order_id}/deliver", response={200: OrderOut, **ERRORS}, summary="Confirm delivery")
def deliver_order(request, order_id: int, payload: DeliverIn):
    order = selectors.order_get(user=request.user, pk=order_id)
    return services.order_deliver(actor=request.user, order=order, people_served=payload.people_served, note=payload.note)


@router.post(P + "/orders/{order_id}/rate", response={200: OrderOut, **ERRORS}, summary="Rate a delivered service")
def rate_order(request, order_id: int, payload: RateIn):
    order = selectors.order_get(user=request.user, pk=order_id)
    return services.order_rate(actor=request.user, order=order, rating=payload.rating, comment=payload.comment)


@router.post(P + "/orders/{order_id}/cancel", response={200: OrderOut, **ERRORS}, summary="Cancel an order, saying why (optional)")
def cancel_order(request, order_id: int, payload: CancelIn | None = None):
    return services.order_cancel(actor=request.user, order=selectors.order_get(user=request.user, pk=order_id),
                                 reason=payload.reason if payload else "")


@router.post(P + "/orders/{order_id}/join", response={200: OrderOut, **ERRORS}, summary="Join a pooled order")
def join_order(request, order_id: int):
    community = services.resident_community(request.user)
    order = selectors.orders_to_join(user=request.user, community=community).filter(pk=order_id).first() if community else None
    if order is None:
        raise NotFound()
    return services.order_join(actor=request.user, order=order)


# Feedback.

@router.get(f"{P}/feedback", response=list[FeedbackOut], summary="Feedback in my scope (staff) or my own (residents)")
@replica_reads
@paginate(PageNumber)
def list_feedback(request, within: str | None = Query(None, description="Division code"), status: str | None = None,
                  open_only: bool = False):
    return selectors.feedback_list(user=request.user, within=_within(request, within), status=status, open_only=open_only)


@router.post(f"{P}/feedback", response={201: FeedbackOut, **ERRORS}, summary="Submit feedback (a photo: on the page or by Open311)")
def submit_feedback(request, payload: FeedbackIn):
    ratelimit.hit("feedback", ratelimit.client_address(request), f"user:{request.user.pk}")
    community = division_get(user=request.user, code=payload.community) if payload.community else None
    if community is not None:
        require(request.user, "neighbourhood.add_feedbackrequest", community)
    item = services.feedback_submit(actor=request.user, community=community, category=payload.category, description=payload.description,
                                    latitude=payload.latitude, longitude=payload.longitude, address=payload.address, public=payload.public)
    return Status(201, item)


@router.get(P + "/feedback/{feedback_id}", response={200: FeedbackOut, **ERRORS})
def get_feedback(request, feedback_id: int):
    return selectors.feedback_get(user=request.user, pk=feedback_id)


@router.post(P + "/feedback/{feedback_id}/rating", response={200: FeedbackOut, **ERRORS},
             summary="Rate how one's closed request was handled (1–5 stars, once)")
def rate_feedback(request, feedback_id: int, payload: StarsIn):
    item = selectors.feedback_get(user=request.user, pk=feedback_id)
    return services.feedback_rate(actor=request.user, request=item, stars=payload.stars, comment=payload.comment)


@router.post(P + "/feedback/{feedback_id}/updates", response={200: FeedbackOut, **ERRORS}, summary="Move a request on, with a public note")
def update_feedback(request, feedback_id: int, payload: FeedbackUpdateIn):
    item = selectors.feedback_get(user=request.user, pk=feedback_id)
    require(request.user, "neighbourhood.change_feedbackrequest", item)
    return services.feedback_update(actor=request.user, request=item, status=payload.status, public_note=payload.public_note)


@router.post(P + "/feedback/{feedback_id}/public", response={200: FeedbackOut, **ERRORS},
             summary="Choose whether my request is shown publicly (without name or phone), or stop showing it")
def choose_feedback_public(request, feedback_id: int, payload: FeedbackPublicIn):
    item = selectors.feedback_get(user=request.user, pk=feedback_id)
    return services.feedback_choose_public(actor=request.user, request=item, public=payload.public)


# Households.

@router.get(f"{P}/household", response={200: HouseholdOut, **ERRORS}, summary="My household")
def get_household(request):
    household = selectors.household_of(user=request.user)
    if household is None:
        raise NotFound()
    return household


@router.put(f"{P}/household", response={200: HouseholdOut, **ERRORS}, summary="Keep my household (tags only with consent)")
def save_household(request, payload: HouseholdIn):
    return services.household_save(actor=request.user, address=payload.address, members=payload.members, tags=payload.tags,
                                   consent=payload.consent)

