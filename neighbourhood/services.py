"""Writing the smart neighbourhood: households, needs and their support, invitations, activities
with their sessions, registrations and check-ins, service orders, and feedback.

Each step is one function taking the actor; it checks what the step needs (the state it may
start from, who may take it, the city's rules), writes in one transaction with an audit event,
and refuses anything else with a domain error, writing nothing.

Registrations never overbook: the activity's row is locked (``select_for_update``) while its
places are counted and taken, so concurrent requests queue on it (SQLite runs writing
transactions one at a time anyway), and a check constraint on the activity
(``registered_places <= capacity``) stands behind the count in the database itself.
"""

import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.permissions import active_roles
from audit.services import audit_record, snapshot
from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.services import clean_or_raise
from core.uploads import photo_from_upload
from notifications.services import notify
from org.models import Division, DivisionLevel, Organisation, OrganisationKind
from rulepack.selectors import param, rule

from .models import (
    FEEDBACK_CLOSED,
    Activity,
    ActivityKind,
    ActivityRating,
    ActivitySession,
    ActivityStatus,
    Attendance,
    CheckInMethod,
    FeedbackRequest,
    FeedbackSource,
    FeedbackStatus,
    FeedbackUpdate,
    Household,
    HouseholdTag,
    Invitation,
    InvitationStatus,
    Need,
    NeedKind,
    NeedSource,
    NeedStatus,
    NeedSupport,
    OrderEvent,
    OrderMember,
    OrderStatus,
    Registration,
    RegistrationStatus,
    ServiceCategory,
    ServiceOrder,
    ServiceTier,
)

RESIDENT_ROLES = (Role.RESIDENT, Role.FUND_COMMITTEE)
# Who runs a community's needs, activities, orders and feedback: the roles that accounts.permissions.GRANTS
# lets change them. The civil-affairs supervisor reads and oversees, on pages as in the API.
STAFF_ROLES = (Role.COMMUNITY_WORKER, Role.STREET_ADMIN)


def rule_value(division: Division, key: str):
    """A parameter of this module from the city's pack (or the default pack's)."""
    return param(division=division, key=key)


def invalid(field: str, message, *, code: str | None = None) -> ValidationFailed:
    """A refusal of one field's value, its message also the error's message."""
    return ValidationFailed(message, fields={field: [message]}, code=code)


def _text(value: str, field: str, *, max_length: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise invalid(field, _("This field is required."))
    if len(value) > max_length:
        raise invalid(field, _("At most %(n)s characters.") % {"n": max_length})
    return value


def _choice(value: str, choices, field: str) -> str:
    if value not in choices.values:
        raise ValidationFailed(fields={field: [_("Choose one of: %(choices)s") % {
            "choices": "、".join(str(label) for label in choices.labels)}]})
    return value


# Who a person is here.

def resident_community(user) -> Division | None:
    """The community where ``user`` lives (their resident role), if any."""
    for assignment in active_roles(user):
        if assignment.role in RESIDENT_ROLES and assignment.division_id and assignment.division.level == DivisionLevel.COMMUNITY:
            return assignment.division
    return None


def is_resident_of(user, community: Division) -> bool:
    """Whether ``user`` lives in ``community`` (or, for a street's activity, in one of its communities)."""
    home = resident_community(user)
    return home is not None and home.path.startswith(community.path)


def _require_resident_of(user, community: Division) -> None:
    """Residents act in their own community (or, for a street's activity, one of its communities)."""
    if not is_resident_of(user, community):
        raise PermissionDenied(_("This is for the residents of %(community)s.") % {"community": community.name})


def worker_grids(user, community: Division | None = None) -> list[Division]:
    """The grids where ``user`` works as a grid worker (网格员: a community worker held at a grid
    [Zibo]), only those of ``community`` when it is given."""
    return [a.division for a in active_roles(user) if a.role == Role.COMMUNITY_WORKER and a.division_id
            and a.division.level == DivisionLevel.GRID and (community is None or a.division.parent_id == community.pk)]


def may_record_needs(user, community: Division) -> bool:
    """Whether ``user`` records needs for others in ``community``: its staff, or a grid worker of one of its grids."""
    return staff_reaches(user, community) or bool(worker_grids(user, community))


def staff_reaches(user, division: Division) -> bool:
    """Whether ``user`` runs things at ``division``: community or street staff working there or above it."""
    if getattr(user, "is_superuser", False):
        return True
    return any(a.role in STAFF_ROLES and a.division_id and division.path.startswith(a.division.path) for a in active_roles(user))


def operator_of(user) -> list[Organisation]:
    """The operators ``user`` works for."""
    return [a.organisation for a in active_roles(user) if a.role == Role.OPERATOR_STAFF and a.organisation_id]


def operators_in_scope(community: Division, *, category: str | None = None):
    """Operators that may serve ``community`` (for ``category``): admitted for it by its street or
    district, or bringing a service under an agreement in force there, or registered as serving it;
    never one blacklisted there."""
    from operations.selectors import admitted_operators, blacklisted_operator_ids, services_offered

    ids = set(admitted_operators(division=community, category=category).values_list("pk", flat=True))
    offered = services_offered(division=community)
    if category:
        offered = offered.filter(category=category)
    ids |= set(offered.values_list("agreement__operator_id", flat=True))
    ids |= set(Organisation.objects.serving(community).filter(kind=OrganisationKind.OPERATOR).values_list("pk", flat=True))
    ids -= blacklisted_operator_ids(division=community)
    return Organisation.objects.filter(pk__in=ids, kind=OrganisationKind.OPERATOR, is_active=True).order_by("name")


def operator_serves(organisation: Organisation, community: Division) -> bool:
    return organisation.kind == OrganisationKind.OPERATOR and operators_in_scope(community).filter(pk=organisation.pk).exists()


def order_operator_for(user, order: ServiceOrder) -> Organisation | None:
    """The operator ``user`` works for that may act on ``order`` (accept, decline, confirm delivery):
    the one it was placed with or accepted by, or — while nobody has it — one in scope for its
    category in its community."""
    mine = operator_of(user)
    if order.operator_id is not None:
        return next((o for o in mine if o.pk == order.operator_id), None)
    if not mine:
        return None
    in_scope = set(operators_in_scope(order.community, category=order.category).filter(pk__in=[o.pk for o in mine])
                   .values_list("pk", flat=True))
    return next((o for o in mine if o.pk in in_scope), None)


def services_in_scope(community: Division):
    """Services agreed for the community (its own agreements and its street's) in force today."""
    from operations.selectors import services_offered

    return services_offered(division=community)


# Households.

@transaction.atomic
def household_save(*, actor, address: str = "", members: int = 1, tags: list[str] | None = None, consent: bool = False,
                   grid: Division | None = None, now: datetime | None = None) -> Household:
    """A resident keeps their household: where it is, how many live there, and — only with their
    consent — who lives there (older people, children…). Without consent the tags are erased."""
    now = now or timezone.now()
    community = resident_community(actor)
    if community is None:
        raise PermissionDenied(_("Only residents keep a household here."))
    tags = sorted(set(tags or []))
    unknown = [t for t in tags if t not in HouseholdTag.values]
    if unknown:
        raise invalid("tags", _("Unknown tags: %(tags)s") % {"tags": "、".join(unknown)})
    if tags and not consent:
        raise invalid("consent", _("Tick the consent box to keep who lives in your household, or leave the boxes empty."))
    if grid is not None and grid.parent_id != community.pk:
        raise invalid("grid", _("This grid is not in your community."))
    household = Household.objects.select_for_update(of=("self",)).filter(resident=actor).first() or Household(resident=actor, community=community)
    before = snapshot(household, ["address", "members", "tags"]) if household.pk else {}
    household.community, household.grid = community, grid
    household.address = _text(address, "address", max_length=120, required=False)
    household.members = members
    household.tags = tags if consent else []
    household.tags_consented_at = (household.tags_consented_at or now) if tags and consent else None
    clean_or_raise(household, exclude=["resident"])
    household.save()
    audit_record(actor=actor, action="neighbourhood.household.saved", target=household, division=community,
                 changes={"before": before, "members": members, "tags": household.tags, "consent": bool(household.tags_consented_at)})
    return household


# Needs (需求清单).

@transaction.atomic
def need_record(*, actor, community: Division, kind: NeedKind, title: str = "", description: str = "", preferred_tier: str = "",
                grid: Division | None = None, on_behalf_of: str = "") -> Need:
    """A resident records a need of their own; a grid worker or community staff records one they
    heard on a visit (with whom it is for). A grid worker records for the residents of their grid,
    which the need is filed under; the community's staff may name one of its grids; a resident's
    need is filed under the grid of their household. The recorder's support counts as the first."""
    if community.level != DivisionLevel.COMMUNITY:
        raise invalid("community", _("Needs are recorded for a community."))
    if grid is not None and grid.parent_id != community.pk:
        raise invalid("grid", _("This grid is not in the community."))
    if staff_reaches(actor, community):
        source = NeedSource.GRID_WORKER if grid is not None or on_behalf_of.strip() else NeedSource.STAFF
    elif grids := worker_grids(actor, community):
        if grid is None:
            grid = grids[0]
        elif grid not in grids:
            raise PermissionDenied(_("You record needs for your own grid: %(grids)s.") % {"grids": "、".join(g.name for g in grids)})
        source = NeedSource.GRID_WORKER
    else:
        _require_resident_of(actor, community)
        source = NeedSource.RESIDENT
        if grid is None:
            household = Household.objects.filter(resident=actor, community=community).select_related("grid").first()
            grid = household.grid if household is not None else None
    if not kind.is_active:
        raise invalid("kind", _("This kind of need is no longer in the catalogue."))
    if preferred_tier:
        _choice(preferred_tier, ServiceTier, "preferred_tier")
    need = Need.objects.create(
        community=community, grid=grid, category=kind.category, kind=kind,
        title=_text(title, "title", max_length=120) if title.strip() else kind.name,
        description=_text(description, "description", max_length=2000, required=False), preferred_tier=preferred_tier,
        source=source, on_behalf_of=_text(on_behalf_of, "on_behalf_of", max_length=60, required=False),
        recorded_by=actor, supports=1)
    NeedSupport.objects.create(need=need, user=actor)
    audit_record(actor=actor, action="neighbourhood.need.recorded", target=need, division=community,
                 changes={"kind": kind.code, "title": need.title, "source": source, "grid": grid.code if grid else None})
    return need


@transaction.atomic
def need_support(*, actor, need: Need) -> Need:
    """A resident of the community supports a need: once each."""
    need = Need.objects.select_for_update(of=("self",)).select_related("community").get(pk=need.pk)
    _require_resident_of(actor, need.community)
    if need.status in (NeedStatus.MET, NeedStatus.DECLINED):
        raise Conflict(_("This need is closed; it no longer takes support."))
    try:
        with transaction.atomic():
            NeedSupport.objects.create(need=need, user=actor)
    except IntegrityError:
        raise Conflict(_("You already support this need."), code="already_supported") from None
    Need.objects.filter(pk=need.pk).update(supports=F("supports") + 1)
    need.refresh_from_db(fields=["supports"])
    audit_record(actor=actor, action="neighbourhood.need.supported", target=need, division=need.community,
                 changes={"supports": need.supports})
    return need


@transaction.atomic
def need_withdraw_support(*, actor, need: Need) -> Need:
    need = Need.objects.select_for_update(of=("self",)).select_related("community").get(pk=need.pk)
    deleted, _rows = NeedSupport.objects.filter(need=need, user=actor).delete()
    if not deleted:
        raise Conflict(_("You do not support this need."))
    Need.objects.filter(pk=need.pk).update(supports=F("supports") - 1)
    need.refresh_from_db(fields=["supports"])
    audit_record(actor=actor, action="neighbourhood.need.support_withdrawn", target=need, division=need.community)
    return need


NEED_MOVES = {
    NeedStatus.OPEN: {NeedStatus.PLANNED, NeedStatus.MET, NeedStatus.DECLINED},
    NeedStatus.PLANNED: {NeedStatus.MET, NeedStatus.OPEN, NeedStatus.DECLINED},
    NeedStatus.MET: {NeedStatus.OPEN},
    NeedStatus.DECLINED: {NeedStatus.OPEN},
}


@transaction.atomic
def need_mark(*, actor, need: Need, status: str, note: str = "", service=None, activity: Activity | None = None,
              order: ServiceOrder | None = None, operator: Organisation | None = None, now: datetime | None = None) -> Need:
    """The community marks a need planned or met — naming the agreed service, activity, order or
    operator that meets it — or not taken up (with a reason), or opens it again."""
    now = now or timezone.now()
    need = Need.objects.select_for_update(of=("self",)).select_related("community").get(pk=need.pk)
    if not staff_reaches(actor, need.community):
        raise PermissionDenied(_("Only the community's staff decide about its needs."))
    status = _choice(status, NeedStatus, "status")
    if status not in NEED_MOVES[need.status]:
        raise Conflict(_("A need that is %(now)s cannot become %(then)s.") % {
            "now": NeedStatus(need.status).label, "then": NeedStatus(status).label})
    note = _text(note, "note", max_length=300, required=status == NeedStatus.DECLINED)
    for linked, field in ((activity, "activity"), (order, "order")):
        if linked is not None and not need.community.path.startswith(linked.community.path) \
                and not linked.community.path.startswith(need.community.path):
            raise invalid(field, _("This is not in the need's community."))
    if service is not None:
        if not services_in_scope(need.community).filter(pk=service.pk).exists():
            raise invalid("service", _("This service is not agreed for the need's community."))
        operator = operator or service.agreement.operator
    if operator is not None and not operator_serves(operator, need.community):
        raise invalid("operator", _("This operator does not serve the community."))
    if status == NeedStatus.MET and not (service or activity or order or operator or note):
        raise invalid("note", _("Say what meets the need: an agreed service, an activity, a service order, an operator or a note."))
    before = need.status
    need.status, need.status_note, need.decided_by, need.decided_at = status, note, actor, now
    need.met_by_service, need.met_by_activity, need.met_by_order, need.met_by_operator = service, activity, order, operator
    need.save()
    audit_record(actor=actor, action=f"neighbourhood.need.{status}", target=need, division=need.community,
                 changes={"status": [before, status], "service": service, "activity": activity, "order": order, "operator": operator},
                 note=note)
    # The residents who supported it hear what became of it.
    for support in need.support_rows.select_related("user").exclude(user=actor)[:500]:
        notify(user=support.user, title=_("The need “%(title)s” is now %(status)s") % {"title": need.title, "status": NeedStatus(status).label},
               body=note, url=f"/neighbourhood/needs/{need.pk}/")
    return need


def _check_invitable(operator: Organisation, community: Division) -> None:
    """Only an active operator admitted for the community by its street, district or city (and
    neither blacklisted nor suspended there) is invited to meet its needs."""
    from operations.selectors import admission_standing

    if operator.kind != OrganisationKind.OPERATOR or not operator.is_active:
        raise invalid("operator", _("Choose an active operator."))
    standing = admission_standing(operator=operator, division=community)
    if standing == "blacklisted":
        raise invalid("operator", _("%(operator)s is blacklisted here and cannot be invited.") % {"operator": operator.name},
                      code="operator_blacklisted")
    if standing == "suspended":
        raise invalid("operator", _("%(operator)s is suspended here and cannot be invited until it is reinstated.") % {
            "operator": operator.name}, code="operator_suspended")
    if standing != "admitted":
        raise invalid("operator", _("%(operator)s is not admitted to serve %(community)s.") % {
            "operator": operator.name, "community": community.name}, code="not_admitted")


@transaction.atomic
def invitation_send(*, actor, need: Need, operator: Organisation, service=None, service_name: str = "", message: str = "") -> Invitation:
    """The community invites an operator (found by resource matching) to meet a need, for one of
    the services agreed for the community when it names one."""
    if not staff_reaches(actor, need.community):
        raise PermissionDenied(_("Only the community's staff invite operators."))
    if need.status not in (NeedStatus.OPEN, NeedStatus.PLANNED):
        raise Conflict(_("This need is closed."))
    _check_invitable(operator, need.community)
    if service is not None:
        if service.agreement.operator_id != operator.pk or not services_in_scope(need.community).filter(pk=service.pk).exists():
            raise invalid("service", _("This service is not one the operator has agreed for the need's community."))
        service_name = service.name
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                need=need, community=need.community, operator=operator, sent_by=actor, service=service,
                service_name=_text(service_name, "service_name", max_length=200, required=False),
                message=_text(message, "message", max_length=500, required=False))
    except IntegrityError:
        raise Conflict(_("This operator has already been invited for this need and has not answered yet.")) from None
    audit_record(actor=actor, action="neighbourhood.invitation.sent", target=invitation, division=need.community,
                 organisation=operator, changes={"need": need.pk, "service": invitation.service_id, "service_name": invitation.service_name})
    for assignment in operator.role_assignments.filter(role=Role.OPERATOR_STAFF, revoked_at__isnull=True).select_related("user"):
        notify(user=assignment.user, title=_("%(community)s invites you to meet a need: %(title)s") % {
            "community": need.community.name, "title": need.title}, body=invitation.message, url="/neighbourhood/staff/invitations/")
    return invitation


@transaction.atomic
def invitation_answer(*, actor, invitation: Invitation, accept: bool, answer: str = "", now: datetime | None = None) -> Invitation:
    now = now or timezone.now()
    invitation = Invitation.objects.select_for_update(of=("self",)).select_related("need__community", "operator").get(pk=invitation.pk)
    if invitation.operator not in operator_of(actor):
        raise PermissionDenied(_("Only the invited operator answers this invitation."))
    if invitation.status != InvitationStatus.SENT:
        raise Conflict(_("This invitation has already been answered."))
    invitation.status = InvitationStatus.ACCEPTED if accept else InvitationStatus.DECLINED
    invitation.answered_by, invitation.answered_at = actor, now
    invitation.answer = _text(answer, "answer", max_length=300, required=not accept)
    invitation.save()
    if accept and invitation.need.status == NeedStatus.OPEN:
        need = invitation.need
        need.status, need.status_note = NeedStatus.PLANNED, str(_("%(operator)s will meet it") % {"operator": invitation.operator.name})
        need.decided_by, need.decided_at = actor, now
        need.save(update_fields=["status", "status_note", "decided_by", "decided_at"])
    audit_record(actor=actor, action=f"neighbourhood.invitation.{invitation.status}", target=invitation,
                 division=invitation.community, organisation=invitation.operator, note=invitation.answer)
    notify(user=invitation.sent_by, title=_("%(operator)s answered your invitation: %(status)s") % {
        "operator": invitation.operator.name, "status": invitation.get_status_display()}, body=invitation.answer,
        url=f"/neighbourhood/needs/{invitation.need_id}/")
    return invitation


# Activities and courses.

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

    from .models import Audience

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
    from .selectors import offline_centre  # the selectors module imports this one

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
    if not secrets.compare_digest((code or "").strip(), activity.attendance_code):
        raise invalid("code", _("The attendance code is not right."))
    session = current_session(activity, now)
    if session is None:
        raise Conflict(_("No session of this activity is open for check-in now."), code="check_in_closed")
    registration = Registration.objects.filter(activity=activity, user=actor, status=RegistrationStatus.REGISTERED).first()
    if registration is None:
        raise Conflict(_("You are not registered for this activity."), code="not_registered")
    return check_in(actor=actor, session=session, registration=registration, method=method, now=now)


# Service orders: 群众点单、机构接单、社区供单 [Huli].

def _order_event(order: ServiceOrder, before: str, actor, note: str, now: datetime) -> None:
    OrderEvent.objects.create(order=order, from_status=before, to_status=order.status, actor=actor, note=note[:300], at=now)
    audit_record(actor=actor, action=f"neighbourhood.order.{order.status}", target=order, division=order.community,
                 organisation=order.operator, changes={"status": [before, order.status]}, note=note)


def _lock_order(order: ServiceOrder) -> ServiceOrder:
    return ServiceOrder.objects.select_for_update(of=("self",)).select_related("community", "operator", "resident").get(pk=order.pk)


def _moving(order: ServiceOrder, allowed: set[str]) -> str:
    if order.status not in allowed:
        raise Conflict(_("The order is %(status)s; this step is not possible now.") % {"status": order.get_status_display()},
                       code="wrong_status")
    return order.status


@transaction.atomic
def order_place(*, actor, title: str, category: str = "", details: str = "", preferred_time: str = "",
                service=None, operator: Organisation | None = None, kind: NeedKind | None = None,
                need: Need | None = None, pooled: bool = False, participants: int = 1, now: datetime | None = None) -> ServiceOrder:
    """A resident orders in their community: a service agreed there (space for service), or
    anything of a category from one operator in scope, or from whichever operator in scope accepts
    first. A service or operator from outside the community is refused."""
    now = now or timezone.now()
    community = resident_community(actor)
    if community is None:
        raise PermissionDenied(_("Only residents order services."))
    tier, price, service_name = "", None, ""
    if service is not None:
        if not services_in_scope(community).filter(pk=service.pk).exists():
            raise ValidationFailed(_("This service is not offered in your community."),
                                   fields={"service": [_("This service is not offered in your community.")]}, code="outside_community")
        operator, category = service.agreement.operator, service.category
        tier, price, service_name = service.tier, service.price, service.name
    _choice(category, ServiceCategory, "category")
    if operator is not None and not operator_serves(operator, community):
        raise ValidationFailed(_("This service is not offered in your community."),
                               fields={"operator": [_("%(operator)s does not serve %(community)s.") % {
                                   "operator": operator.name, "community": community.name}]}, code="outside_community")
    if need is not None and need.community_id != community.pk:
        raise invalid("need", _("This need is not in your community."))
    most = int(rule_value(community, "neighbourhood.order_participants_max"))
    if not 1 <= participants <= most:
        raise invalid("participants", _("From 1 to %(n)s people.") % {"n": most})
    order = ServiceOrder.objects.create(
        community=community, resident=actor, category=category, kind=kind, need=need,
        title=_text(title or service_name, "title", max_length=120),
        details=_text(details, "details", max_length=2000, required=False),
        preferred_time=_text(preferred_time, "preferred_time", max_length=120, required=False), operator=operator,
        service=service, service_name=service_name[:200], tier=tier, price=price, pooled=pooled, participants=participants, created_at=now)
    OrderMember.objects.create(order=order, user=actor)
    _order_event(order, "", actor, "", now)
    if operator is not None:
        for assignment in operator.role_assignments.filter(role=Role.OPERATOR_STAFF, revoked_at__isnull=True).select_related("user"):
            notify(user=assignment.user, title=_("New order: %(title)s") % {"title": order.title}, body=community.name,
                   url=f"/neighbourhood/orders/{order.pk}/")
    return order


@transaction.atomic
def order_join(*, actor, order: ServiceOrder, now: datetime | None = None) -> ServiceOrder:
    """Another resident with the same need joins a pooled order."""
    now = now or timezone.now()
    order = _lock_order(order)
    _require_resident_of(actor, order.community)
    if not order.pooled:
        raise Conflict(_("This order is not open for others to join."))
    _moving(order, {OrderStatus.PLACED, OrderStatus.ACCEPTED})
    most = int(rule_value(order.community, "neighbourhood.order_participants_max"))
    if order.participants >= most:
        raise Conflict(_("This order already has %(n)s people, the most one order takes.") % {"n": most}, code="order_full")
    try:
        with transaction.atomic():
            OrderMember.objects.create(order=order, user=actor)
    except IntegrityError:
        raise Conflict(_("You are already in this order.")) from None
    order.participants += 1
    order.save(update_fields=["participants", "updated_at"])
    audit_record(actor=actor, action="neighbourhood.order.joined", target=order, division=order.community,
                 changes={"participants": order.participants})
    return order


@transaction.atomic
def order_accept(*, actor, order: ServiceOrder, operator: Organisation, now: datetime | None = None) -> ServiceOrder:
    """An operator in scope takes the order (one operator only: the row is locked)."""
    now = now or timezone.now()
    order = _lock_order(order)
    if operator not in operator_of(actor):
        raise PermissionDenied(_("You accept orders for your own organisation only."))
    if order.operator_id is not None and order.operator_id != operator.pk:
        raise PermissionDenied(_("This order was placed with another operator."))
    if not operators_in_scope(order.community, category=order.category).filter(pk=operator.pk).exists():
        raise PermissionDenied(_("Your organisation is not in scope for this service in %(community)s.") % {"community": order.community.name})
    before = _moving(order, {OrderStatus.PLACED})
    order.operator, order.status = operator, OrderStatus.ACCEPTED
    order.save(update_fields=["operator", "status", "updated_at"])
    _order_event(order, before, actor, "", now)
    notify(user=order.resident, title=_("%(operator)s accepted your order “%(title)s”") % {"operator": operator.name, "title": order.title},
           url=f"/neighbourhood/orders/{order.pk}/")
    return order


@transaction.atomic
def order_decline(*, actor, order: ServiceOrder, reason: str, now: datetime | None = None) -> ServiceOrder:
    """The operator an order was placed with declines it, saying why."""
    now = now or timezone.now()
    order = _lock_order(order)
    if order.operator is None or order.operator not in operator_of(actor):
        raise PermissionDenied(_("Only the operator the order was placed with can decline it."))
    before = _moving(order, {OrderStatus.PLACED, OrderStatus.ACCEPTED})
    reason = _text(reason, "reason", max_length=300)
    order.status = OrderStatus.DECLINED
    order.save(update_fields=["status", "updated_at"])
    _order_event(order, before, actor, reason, now)
    notify(user=order.resident, title=_("Your order “%(title)s” was declined") % {"title": order.title}, body=reason,
           url=f"/neighbourhood/orders/{order.pk}/")
    return order


@transaction.atomic
def order_schedule(*, actor, order: ServiceOrder, room, start: datetime, end: datetime, now: datetime | None = None) -> ServiceOrder:
    """The community supplies the venue and time (社区供单): a room booked through scheduling."""
    from scheduling import services as scheduling
    from scheduling.models import BookingKind

    now = now or timezone.now()
    order = _lock_order(order)
    if not staff_reaches(actor, order.community):
        raise PermissionDenied(_("The community's staff set the venue and time."))
    before = _moving(order, {OrderStatus.ACCEPTED})
    _check_room(order.community, room, order.participants)
    booking = scheduling.booking_create(actor=actor, room=room, start=start, end=end, title=order.title, attendees=order.participants,
                                        organisation=order.operator, kind=BookingKind.SERVICE, now=now, origin=f"order:{order.pk}",
                                        purpose=str(_("Service order")))
    order.booking, order.status = booking, OrderStatus.SCHEDULED
    order.save(update_fields=["booking", "status", "updated_at"])
    when = f"{timezone.localtime(start):%Y-%m-%d %H:%M}–{timezone.localtime(end):%H:%M} {room.site.name} {room.name}"
    _order_event(order, before, actor, when, now)
    for user in {order.resident, *[m.user for m in order.members.select_related("user")]}:
        notify(user=user, title=_("“%(title)s”: venue and time set") % {"title": order.title}, body=when, url=f"/neighbourhood/orders/{order.pk}/")
    return order


@transaction.atomic
def order_deliver(*, actor, order: ServiceOrder, people_served: int | None = None, note: str = "",
                  now: datetime | None = None) -> ServiceOrder:
    """The operator confirms the service was delivered (and how many people it served)."""
    now = now or timezone.now()
    order = _lock_order(order)
    if order.operator is None or order.operator not in operator_of(actor):
        raise PermissionDenied(_("Only the operator who accepted the order confirms delivery."))
    before = _moving(order, {OrderStatus.ACCEPTED, OrderStatus.SCHEDULED})
    if order.booking_id and order.booking.starts_at > now:
        raise Conflict(_("The service is set for %(at)s; confirm delivery after it.") % {
            "at": timezone.localtime(order.booking.starts_at).strftime("%Y-%m-%d %H:%M")})
    served = people_served if people_served is not None else order.participants
    most = int(rule_value(order.community, "neighbourhood.people_served_max"))
    if not 0 <= served <= most:
        raise invalid("people_served", _("From 0 to %(n)s people.") % {"n": most})
    order.status, order.people_served = OrderStatus.DELIVERED, served
    order.save(update_fields=["status", "people_served", "updated_at"])
    # A delivered order used its room: its booking counts as checked in.
    from scheduling import services as scheduling

    scheduling.booking_record_check_in(booking=order.booking, at=now, by=actor, source=str(
        _("Service order “%(title)s” delivered") % {"title": order.title}))
    _order_event(order, before, actor, _text(note, "note", max_length=300, required=False), now)
    notify(user=order.resident, title=_("“%(title)s” is done: how was it?") % {"title": order.title},
           url=f"/neighbourhood/orders/{order.pk}/")
    return order


@transaction.atomic
def order_rate(*, actor, order: ServiceOrder, rating: int, comment: str = "", now: datetime | None = None) -> ServiceOrder:
    now = now or timezone.now()
    order = _lock_order(order)
    if order.resident_id != actor.pk:
        raise PermissionDenied(_("Only the person who ordered rates the service."))
    before = _moving(order, {OrderStatus.DELIVERED})
    delivered_at = order.events.filter(to_status=OrderStatus.DELIVERED).values_list("at", flat=True).last() or now
    days = int(rule_value(order.community, "neighbourhood.rating_days"))
    if now - delivered_at > timedelta(days=days):
        raise Conflict(_("Ratings are given within %(n)s days of the service.") % {"n": days})
    if not 1 <= int(rating) <= 5:
        raise invalid("rating", _("Give 1 to 5 stars."))
    order.status, order.rating = OrderStatus.RATED, int(rating)
    order.rating_comment = _text(comment, "comment", max_length=300, required=False)
    order.save(update_fields=["status", "rating", "rating_comment", "updated_at"])
    _order_event(order, before, actor, f"{order.rating}★ {order.rating_comment}".strip(), now)
    _centres_rated_again(order.community)
    return order


def _stars(value) -> int:
    try:
        stars = int(value)
    except (TypeError, ValueError):
        stars = 0
    if isinstance(value, bool) or not 1 <= stars <= 5 or str(value).strip() not in {str(stars), f"{stars}.0"}:
        raise invalid("stars", _("Give 1 to 5 stars."))
    return stars


def _centres_rated_again(place: Division) -> None:
    """Residents' stars are the satisfaction in the star rating of the centres serving ``place``: rate them
    again once this transaction commits."""
    from registry.services import ratings_refresh_for_place

    ratings_refresh_for_place(division=place)


@transaction.atomic
def activity_rate(*, actor, activity: Activity, stars: int, comment: str = "", now: datetime | None = None) -> ActivityRating:
    """A resident who checked in at an activity rates it, once, within the pack's days after their last session there."""
    now = now or timezone.now()
    activity = Activity.objects.select_related("community").get(pk=activity.pk)
    last = Attendance.objects.filter(registration__activity=activity, registration__user=actor).order_by(
        "-session__ends_at").values_list("session__ends_at", flat=True).first()
    if last is None:
        raise PermissionDenied(_("Those who took part (checked in) rate the activity."))
    if now < last:
        raise Conflict(_("Rate the activity once your session is over."), code="too_early")
    days = int(rule_value(activity.community, "neighbourhood.rating_days"))
    if now - last > timedelta(days=days):
        raise Conflict(_("Ratings are given within %(n)s days of the service.") % {"n": days}, code="too_late")
    stars = _stars(stars)
    if ActivityRating.objects.filter(activity=activity, user=actor).exists():
        raise Conflict(_("You have already rated this activity."), code="already_rated")
    try:
        with transaction.atomic():
            rating = ActivityRating.objects.create(activity=activity, user=actor, stars=stars, rated_at=now,
                                                   comment=_text(comment, "comment", max_length=300, required=False))
    except IntegrityError:  # rated at the same moment from another device
        raise Conflict(_("You have already rated this activity."), code="already_rated") from None
    audit_record(actor=actor, action="neighbourhood.activity.rated", target=activity, division=activity.community,
                 organisation=activity.organiser, changes={"stars": stars})
    _centres_rated_again(activity.community)
    return rating


@transaction.atomic
def order_cancel(*, actor, order: ServiceOrder, reason: str = "", now: datetime | None = None) -> ServiceOrder:
    """The resident (or the community's staff) cancels before delivery; a booked room is released."""
    from scheduling import services as scheduling
    from scheduling.models import HOLDING

    now = now or timezone.now()
    order = _lock_order(order)
    if order.resident_id != actor.pk and not staff_reaches(actor, order.community):
        raise PermissionDenied(_("Only the person who ordered, or the community's staff, can cancel this order."))
    before = _moving(order, {OrderStatus.PLACED, OrderStatus.ACCEPTED, OrderStatus.SCHEDULED})
    if order.booking_id and order.booking.status in HOLDING:
        booking = order.booking
        scheduling.booking_cancel(actor=actor if scheduling._may_manage(actor, booking) else booking.booker, booking=booking,
                                  reason=str(_("Service order cancelled")), now=now)
    order.status = OrderStatus.CANCELLED
    order.save(update_fields=["status", "updated_at"])
    _order_event(order, before, actor, _text(reason, "reason", max_length=300, required=False), now)
    if order.operator is not None:
        for assignment in order.operator.role_assignments.filter(role=Role.OPERATOR_STAFF, revoked_at__isnull=True).select_related("user"):
            notify(user=assignment.user, title=_("Order “%(title)s” was cancelled") % {"title": order.title}, body=reason,
                   url=f"/neighbourhood/orders/{order.pk}/")
    return order


# Feedback (诉求反馈) [Quanzhou].

def feedback_categories(division: Division) -> list[dict]:
    found = rule(division=division, key="neighbourhood.feedback_categories")
    return list(found.params["categories"]) if found is not None else []


def feedback_category(division: Division, code: str) -> dict:
    for category in feedback_categories(division):
        if category["code"] == code:
            return category
    raise ValidationFailed(_("Unknown feedback category: %(code)s") % {"code": code},
                           fields={"category": [_("Choose one of the categories in the list.")]}, code="unknown_category")


def feedback_photo(upload, division: Division):
    """A clean copy of a resident's photo within the city's size limit (see core.uploads), before anything is stored."""
    return photo_from_upload(upload, max_mb=int(rule_value(division, "neighbourhood.photo_max_mb")))


def _coordinate(value, low: int, high: int, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except ArithmeticError:
        raise invalid(field, _("Not a coordinate.")) from None
    if not low <= number <= high:
        raise invalid(field, _("Not a coordinate."))
    return number


@transaction.atomic
def feedback_submit(*, actor, category: str, description: str, community: Division | None = None, photo=None,
                    latitude=None, longitude=None, address: str = "", public: bool = True, contact_name: str = "",
                    contact_phone: str = "", source: str = FeedbackSource.WEB, now: datetime | None = None) -> FeedbackRequest:
    """A resident (or staff for one) submits a request; it goes to the community or the street by
    its category, with the category's deadline from the city's pack."""
    now = now or timezone.now()
    if community is None:
        community = resident_community(actor)
        if community is None:
            raise PermissionDenied(_("Only residents submit feedback here."))
    elif not staff_reaches(actor, community):
        _require_resident_of(actor, community)
    if community.level != DivisionLevel.COMMUNITY:
        raise invalid("community", _("Feedback is about a community."))
    found = feedback_category(community, category)
    description = _text(description, "description", max_length=2000)
    lat, lon = _coordinate(latitude, -90, 90, "lat"), _coordinate(longitude, -180, 180, "long")
    if photo is not None:
        photo = feedback_photo(photo, community)
    routed_to = community if found["level"] == "community" else community.parent
    request = FeedbackRequest(
        community=community, routed_to=routed_to, category=found["code"], category_name=found["name"], description=description,
        latitude=lat, longitude=lon, address=_text(address, "address", max_length=200, required=False), submitted_by=actor,
        contact_name=_text(contact_name, "contact_name", max_length=60, required=False),
        contact_phone=_text(contact_phone, "contact_phone", max_length=20, required=False), source=source, public=public,
        due_at=now + timedelta(days=int(found["sla_days"])), created_at=now, updated_at=now)
    if photo is not None:
        request.photo.save(photo.name, photo, save=False)
    request.save()
    FeedbackUpdate.objects.create(request=request, status=request.status, actor=actor, at=now)
    audit_record(actor=actor, action="neighbourhood.feedback.submitted", target=request, division=community,
                 changes={"category": found["code"], "routed_to": routed_to.code, "source": source, "photo": bool(photo)})
    return request


FEEDBACK_MOVES = {
    FeedbackStatus.SUBMITTED: {FeedbackStatus.ACCEPTED, FeedbackStatus.IN_PROGRESS, FeedbackStatus.RESOLVED, FeedbackStatus.REJECTED},
    FeedbackStatus.ACCEPTED: {FeedbackStatus.ACCEPTED, FeedbackStatus.IN_PROGRESS, FeedbackStatus.RESOLVED, FeedbackStatus.REJECTED},
    FeedbackStatus.IN_PROGRESS: {FeedbackStatus.IN_PROGRESS, FeedbackStatus.RESOLVED, FeedbackStatus.REJECTED},
    FeedbackStatus.RESOLVED: set(),
    FeedbackStatus.REJECTED: set(),
}


@transaction.atomic
def feedback_update(*, actor, request: FeedbackRequest, status: str, public_note: str = "",
                    now: datetime | None = None) -> FeedbackRequest:
    """The staff it was routed to move the request on (with a note the resident and the public
    see); closing it (resolved or not accepted) needs a note. The resident is told."""
    now = now or timezone.now()
    request = FeedbackRequest.objects.select_for_update(of=("self",)).select_related("community", "routed_to", "submitted_by").get(pk=request.pk)
    if not staff_reaches(actor, request.routed_to):
        raise PermissionDenied(_("This request is handled by %(unit)s.") % {"unit": request.routed_to.name})
    status = _choice(status, FeedbackStatus, "status")
    if status not in FEEDBACK_MOVES[request.status]:
        raise Conflict(_("A request that is %(now)s cannot become %(then)s.") % {
            "now": FeedbackStatus(request.status).label, "then": FeedbackStatus(status).label}, code="wrong_status")
    note = _text(public_note, "public_note", max_length=500, required=status in FEEDBACK_CLOSED or status == request.status)
    before = request.status
    request.status, request.updated_at = status, now
    if note:
        request.public_note = note
    if status in FEEDBACK_CLOSED:
        request.closed_at = now
    request.save()
    FeedbackUpdate.objects.create(request=request, status=status, public_note=note, actor=actor, at=now)
    audit_record(actor=actor, action=f"neighbourhood.feedback.{status}", target=request, division=request.community,
                 changes={"status": [before, status]}, note=note)
    notify(user=request.submitted_by, title=_("Your request “%(category)s”: %(status)s") % {
        "category": request.category_name, "status": FeedbackStatus(status).label}, body=note,
        url=f"/neighbourhood/feedback/{request.pk}/")
    return request


@transaction.atomic
def feedback_rate(*, actor, request: FeedbackRequest, stars: int, comment: str = "", now: datetime | None = None) -> FeedbackRequest:
    """The resident who asked rates how the request was handled, once it is closed (within the pack's days)."""
    now = now or timezone.now()
    request = FeedbackRequest.objects.select_for_update(of=("self",)).select_related("community").get(pk=request.pk)
    if request.submitted_by_id != actor.pk:
        raise PermissionDenied(_("Only the person who asked rates how the request was handled."))
    if request.closed_at is None:
        raise Conflict(_("Rate the handling once the request is closed."), code="not_closed")
    if request.satisfaction is not None:
        raise Conflict(_("You have already rated how this request was handled."), code="already_rated")
    days = int(rule_value(request.community, "neighbourhood.rating_days"))
    if now - request.closed_at > timedelta(days=days):
        raise Conflict(_("Ratings are given within %(n)s days of the service.") % {"n": days}, code="too_late")
    request.satisfaction, request.rated_at = _stars(stars), now
    request.satisfaction_comment = _text(comment, "comment", max_length=300, required=False)
    request.save(update_fields=["satisfaction", "satisfaction_comment", "rated_at"])
    audit_record(actor=actor, action="neighbourhood.feedback.rated", target=request, division=request.community,
                 changes={"satisfaction": request.satisfaction})
    _centres_rated_again(request.community)
    return request


@transaction.atomic
def feedback_publish(*, actor, request: FeedbackRequest, public: bool) -> FeedbackRequest:
    """Staff take a request off the public list (it names a person, say), or put it back."""
    request = FeedbackRequest.objects.select_for_update(of=("self",)).select_related("community", "routed_to").get(pk=request.pk)
    if not staff_reaches(actor, request.routed_to) and not staff_reaches(actor, request.community):
        raise PermissionDenied()
    request.public = public
    request.save(update_fields=["public"])
    audit_record(actor=actor, action="neighbourhood.feedback.published" if public else "neighbourhood.feedback.unpublished",
                 target=request, division=request.community)
    return request
