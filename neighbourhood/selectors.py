"""Reading the smart neighbourhood, always within what the user may see: needs ranked by support,
activities and their places, registrations, person-times (人次) from check-ins, service orders,
feedback queues with their deadlines, and a community's home page for its residents."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.permissions import get_for_user, visible_to
from core.errors import NotFound, ValidationFailed
from org.models import Division, DivisionLevel, Organisation, OrganisationKind
from registry.models import Site, SiteKind
from rulepack.selectors import rule

from .models import (
    FEEDBACK_CLOSED,
    Activity,
    ActivityRating,
    ActivitySession,
    ActivityStatus,
    Attendance,
    FeedbackRequest,
    Household,
    Invitation,
    Need,
    NeedKind,
    NeedStatus,
    NeedSupport,
    OrderStatus,
    Registration,
    RegistrationStatus,
    ServiceOrder,
)
from .services import is_resident_of, resident_community, rule_value

OPEN_NEEDS = [NeedStatus.OPEN, NeedStatus.PLANNED]
# Tuning of "similar needs", not policy: the score from which an open need is offered instead of a
# new one, and what sharing the kind of need adds to the text similarity (0..1).
SIMILAR_NEED_MIN_SCORE = 0.25
SAME_KIND_BONUS = 0.5
# The longest span person-times are asked for at once, and the span the staff page shows unless told.
PERSON_TIMES_MAX_DAYS = 400
PERSON_TIMES_DEFAULT_DAYS = 90
# The staff's activities page also lists what ended this long ago.
STAFF_ACTIVITIES_LOOK_BACK = timedelta(days=30)


# Needs.

def need_kinds(*, category: str | None = None) -> QuerySet[NeedKind]:
    from .catalogue import need_kinds_ensure

    need_kinds_ensure()
    kinds = NeedKind.objects.filter(is_active=True)
    return kinds.filter(category=category) if category else kinds


def need_list(*, user, within: Division | None = None, status: str | None = None, category: str | None = None,
              open_only: bool = False) -> QuerySet[Need]:
    """Needs in scope, ranked: most supported first, then the oldest."""
    needs = visible_to(user, "neighbourhood.view_need", Need.objects.select_related("community", "grid", "kind"))
    if within is not None:
        needs = needs.filter(_needs_within(within))
    if status:
        needs = needs.filter(status=status)
    elif open_only:
        needs = needs.filter(status__in=OPEN_NEEDS)
    if category:
        needs = needs.filter(category=category)
    if getattr(user, "is_authenticated", False):
        needs = needs.annotate(supported=Exists(NeedSupport.objects.filter(need=OuterRef("pk"), user=user)))
    return needs.order_by("-supports", "created_at", "id")


def _needs_within(division: Division) -> Q:
    """Needs of a community at or below ``division``, or filed under a grid there."""
    return Q(community__path__under=division.path) | Q(grid__path__under=division.path)


def need_place(*, user, community: str | None = None, grid: str | None = None) -> tuple[Division | None, Division | None]:
    """Where ``user`` records a need: the community and grid named by their codes (404 outside what
    they may see), else their own — a grid worker's grid and its community, a resident's community.
    A grid worker's community is theirs to record in even though they see only their grid of it."""
    from org.selectors import division_get

    from .services import worker_grids

    mine = worker_grids(user)
    grid_division = division_get(user=user, code=grid) if grid else None
    if grid_division is not None and grid_division.level != DivisionLevel.GRID:
        raise ValidationFailed(fields={"grid": [_("Give a grid's code.")]})
    if community:
        parents = {g.parent.code: g.parent for g in ([grid_division] if grid_division else []) + mine}
        found = parents.get(community) or division_get(user=user, code=community)
    elif grid_division is not None:
        found = grid_division.parent
    else:
        found = mine[0].parent if mine else resident_community(user)
    if found is not None and grid_division is None:
        # A grid worker files what they record under their grid.
        grid_division = next((g for g in mine if g.parent_id == found.pk), None)
    return found, grid_division


def need_grids(*, user, community: Division) -> list[Division]:
    """The grids of ``community`` that ``user`` may file a need under: all of them for its staff, a grid worker's own."""
    from .services import staff_reaches, worker_grids

    if staff_reaches(user, community):
        return list(community.children.filter(level=DivisionLevel.GRID).order_by("code"))
    return worker_grids(user, community)


def need_get(*, user, pk: int) -> Need:
    needs = Need.objects.select_related("community", "grid", "kind", "recorded_by", "met_by_activity", "met_by_order",
                                        "met_by_operator", "met_by_service__agreement__operator")
    need = get_for_user(user, "neighbourhood.view_need", needs, pk=pk)
    need.supported = NeedSupport.objects.filter(need=need, user=user).exists()
    return need


def similar_needs(*, community: Division, kind: NeedKind, text: str, limit: int = 5) -> list[Need]:
    """Open needs of the community like this one (same kind, or alike in words): support one of them instead."""
    from .textmatch import Corpus

    candidates = list(Need.objects.filter(community=community, status__in=OPEN_NEEDS).select_related("kind")
                      .order_by("-supports")[:300])
    if not candidates:
        return []
    corpus = Corpus(f"{n.title} {n.kind.name} {n.kind.keywords} {n.description[:200]}" for n in candidates)
    query = f"{text} {kind.name} {kind.keywords}"
    scored = []
    for index, similarity in corpus.ranked(query):
        need = candidates[index]
        score = similarity + (SAME_KIND_BONUS if need.kind_id == kind.pk else 0)
        if score >= SIMILAR_NEED_MIN_SCORE:
            scored.append((score, need))
    scored.sort(key=lambda pair: -pair[0])
    return [need for _score, need in scored[:limit]]


def need_counts(*, within: Division) -> dict[str, dict[str, int]]:
    """Needs by category and status below ``within``."""
    counts: dict[str, dict[str, int]] = {}
    rows = Need.objects.filter(_needs_within(within)).values("category", "status").annotate(n=Count("id"))
    for row in rows:
        counts.setdefault(row["category"], {})[row["status"]] = row["n"]
    return counts


def operator_for_invitation(*, user, need: Need, pk) -> Organisation:
    """The operator ``pk`` a need's staff name to invite: one they may see, or one with any admission
    standing for the need's community (admitted, suspended or blacklisted there). Any other id is not
    found, as one that does not exist: its name is never told."""
    from operations.selectors import admission_standing

    operator = Organisation.objects.filter(pk=pk, kind=OrganisationKind.OPERATOR).first() if str(pk).isdigit() else None
    if operator is None:
        raise NotFound()
    if admission_standing(operator=operator, division=need.community) != "not_admitted":
        return operator
    return get_for_user(user, "org.view_organisation", Organisation.objects.filter(kind=OrganisationKind.OPERATOR), pk=operator.pk)


def operator_for_community(*, user, community: Division, pk, kinds=(OrganisationKind.OPERATOR,)) -> Organisation:
    """The organisation ``pk`` a request names for ``community`` (an order's operator, the operator that met
    a need, an activity's or a volunteer opportunity's organiser): an operator that may serve the community
    (``services.operators_in_scope``), or one of ``kinds`` the user may see. Any other id is not found, as
    one that does not exist, so its name is never told (the service then says whether it may serve)."""
    from .services import operators_in_scope

    if not str(pk).isdigit():
        raise NotFound()
    found = operators_in_scope(community).filter(pk=pk).first()
    if found is not None:
        return found
    return get_for_user(user, "org.view_organisation", Organisation.objects.filter(kind__in=kinds), pk=pk)


def agreed_service_for(*, user, community: Division, pk):
    """The agreed service ``pk`` named for ``community``: one offered there (``services.services_in_scope``),
    or under an agreement the user may see. Any other id is not found, its name never told."""
    from operations.models import Agreement, AgreementService

    from .services import services_in_scope

    if not str(pk).isdigit():
        raise NotFound()
    found = services_in_scope(community).filter(pk=pk).first()
    if found is not None:
        return found
    agreements = visible_to(user, "operations.view_agreement", Agreement.objects.all())
    found = AgreementService.objects.select_related("agreement__operator", "agreement__division").filter(
        pk=pk, agreement__in=agreements).first()
    if found is None:
        raise NotFound()
    return found


def invitation_list(*, user, within: Division | None = None, status: str | None = None) -> QuerySet[Invitation]:
    invitations = visible_to(user, "neighbourhood.view_invitation",
                             Invitation.objects.select_related("need__kind", "community", "operator", "sent_by"))
    if within is not None:
        invitations = invitations.filter(community__path__under=within.path)
    if status:
        invitations = invitations.filter(status=status)
    return invitations


def invitation_get(*, user, pk: int) -> Invitation:
    return get_for_user(user, "neighbourhood.view_invitation", Invitation.objects.select_related("need", "community", "operator"), pk=pk)


# Activities.

# What the activities list API's kept answers are made of (``core.listcache``).
ACTIVITY_LIST_MADE_OF = (Activity, Division)


def activity_list(*, user, within: Division | None = None, since: datetime | None = None, until: datetime | None = None,
                  category: str | None = None, audience: str | None = None, include_cancelled: bool = False,
                  sessions_between: tuple[datetime, datetime] | None = None) -> QuerySet[Activity]:
    """Activities in scope; each with ``next_start``, its next session from now (a course's next week)."""
    now = timezone.now()
    activities = visible_to(user, "neighbourhood.view_activity",
                            Activity.objects.select_related("community", "organiser", "room__site")).annotate(
        next_start=Subquery(ActivitySession.objects.filter(activity=OuterRef("pk"), starts_at__gte=now, cancelled=False)
                            .order_by("starts_at").values("starts_at")[:1]),
        session_count=Subquery(ActivitySession.objects.filter(activity=OuterRef("pk")).order_by().values("activity")
                               .annotate(n=Count("id")).values("n")[:1]))
    if sessions_between is not None:
        activities = activities.filter(Exists(ActivitySession.objects.filter(
            activity=OuterRef("pk"), starts_at__gte=sessions_between[0], starts_at__lt=sessions_between[1], cancelled=False)))
    if within is not None:
        # A community's residents also see what its street puts on for everyone.
        activities = activities.filter(Q(community__path__under=within.path) | Q(community__path__in=_ancestor_paths(within)))
    if since is not None:
        activities = activities.filter(ends_at__gte=since)
    if until is not None:
        activities = activities.filter(starts_at__lt=until)
    if category:
        activities = activities.filter(category=category)
    if audience:
        activities = activities.filter(audience=audience)
    if not include_cancelled:
        activities = activities.filter(status=ActivityStatus.PUBLISHED)
    return activities.order_by("starts_at", "id")


def _ancestor_paths(division: Division) -> list[str]:
    from core.scoping import ancestor_paths

    return ancestor_paths(division.path)


def activity_get(*, user, pk: int) -> Activity:
    return get_for_user(user, "neighbourhood.view_activity",
                        Activity.objects.select_related("community", "organiser", "room__site", "created_by"), pk=pk)


def offline_centre(activity: Activity) -> Site | None:
    """The star-rated centre an activity is held at, when that centre's online services are not on (so it is not
    offered for registration online [Quanzhou: 在“四星级”及以上邻里中心上线试运行]); None otherwise."""
    site = activity.room.site if activity.room_id else None
    return site if centre_online(centre=site) is False else None


def registration_offer(*, user, activity: Activity, now: datetime | None = None) -> str:
    """What an activity's page offers ``user`` about registering: ``"register"`` (a resident of its
    community while registration is open), ``"closed"`` (the deadline has passed), ``"offline"`` (held at a
    centre whose online services are not on: registration is at the centre), or ``""`` (nothing: not a
    resident there, or the activity is cancelled). ``registration_create`` decides again when they press
    the button."""
    now = now or timezone.now()
    if activity.status != ActivityStatus.PUBLISHED or not is_resident_of(user, activity.community):
        return ""
    if now > activity.registration_closes_at:
        return "closed"
    return "offline" if offline_centre(activity) is not None else "register"


def centre_online(*, centre: Site | None) -> bool | None:
    """Whether residents are offered the online services of ``centre`` (None: not a star-rated centre)."""
    from registry.selectors import online_sites

    if centre is None:
        return None
    criteria = rule(division=centre.division, key="registry.star_rating")
    if criteria is None or centre.kind not in criteria.params["site_kinds"]:
        return None
    return centre.pk in online_sites([centre.pk])


def activity_rating_offer(*, user, activity: Activity, now: datetime | None = None) -> "ActivityRating | str":
    """What an activity's page offers ``user`` about rating it: their rating once given, ``"rate"`` (they checked
    in and their session is over, within the pack's days), or ``""``. ``activity_rate`` decides again."""
    now = now or timezone.now()
    given = ActivityRating.objects.filter(activity=activity, user=user).first()
    if given is not None:
        return given
    last = Attendance.objects.filter(registration__activity=activity, registration__user=user).order_by(
        "-session__ends_at").values_list("session__ends_at", flat=True).first()
    days = int(rule_value(activity.community, "neighbourhood.rating_days"))
    return "rate" if last is not None and last <= now <= last + timedelta(days=days) else ""


def my_registration(*, user, activity: Activity) -> Registration | None:
    return Registration.objects.filter(activity=activity, user=user, status__in=[
        RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED]).first()


def _waitlist_position():
    """A registration's place on its activity's waitlist (1 = next to move up), as an expression: the
    waitlisted registrations of the same activity made before it, plus one; null unless it waits."""
    earlier = Registration.objects.filter(activity_id=OuterRef("activity_id"), status=RegistrationStatus.WAITLISTED).filter(
        Q(created_at__lt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), id__lt=OuterRef("id"))) \
        .order_by().values("activity_id").annotate(n=Count("id")).values("n")
    return Case(When(status=RegistrationStatus.WAITLISTED, then=Coalesce(Subquery(earlier), 0) + 1), default=None,
                output_field=IntegerField())


def waitlist_position(registration: Registration) -> int:
    return Registration.objects.filter(pk=registration.pk).annotate(position=_waitlist_position()).values_list("position", flat=True)[0]


def my_registrations(*, user, upcoming: bool = True, now: datetime | None = None) -> QuerySet[Registration]:
    """A resident's registrations, each with ``next_start`` (its next session), ``position`` on the
    waitlist and ``attended`` (the sessions checked in), in one query."""
    now = now or timezone.now()
    registrations = Registration.objects.filter(user=user).select_related("user", "activity__community", "activity__room__site", "activity__organiser") \
        .annotate(next_start=Subquery(ActivitySession.objects.filter(activity=OuterRef("activity_id"), starts_at__gte=now, cancelled=False)
                                      .order_by("starts_at").values("starts_at")[:1]), position=_waitlist_position(),
                  attended=Coalesce(Subquery(Attendance.objects.filter(registration=OuterRef("pk")).order_by().values("registration")
                                             .annotate(n=Count("id")).values("n")), 0))
    if upcoming:
        return registrations.filter(activity__ends_at__gte=now, status__in=[RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED]) \
            .order_by("activity__starts_at")
    return registrations.filter(Q(activity__ends_at__lt=now) | Q(status=RegistrationStatus.CANCELLED)).order_by("-activity__starts_at")


def registration_get(*, user, pk: int) -> Registration:
    return get_for_user(user, "neighbourhood.view_registration",
                        Registration.objects.select_related("activity__community", "activity__organiser", "user"), pk=pk)


def registrations_of(*, activity: Activity) -> QuerySet[Registration]:
    """Everyone registered or waiting for an activity, with how often they came."""
    return activity.registrations.exclude(status=RegistrationStatus.CANCELLED).select_related("user").annotate(
        attended=Count("attendances")).order_by("status", "created_at", "id")


def checked_in_ids(*, session) -> set[int]:
    return set(Attendance.objects.filter(session=session).values_list("registration_id", flat=True))


@dataclass
class PersonTimes:
    label: str
    key: str
    person_times: int
    attendances: int
    activities: int


def person_times(*, user, within: Division, since: date, until: date, by: str = "community") -> list[PersonTimes]:
    """Person-times (人次) served: the places checked in, summed by community, activity or month."""
    start = timezone.make_aware(datetime.combine(since, datetime.min.time()))
    end = timezone.make_aware(datetime.combine(until + timedelta(days=1), datetime.min.time()))
    rows = visible_to(user, "neighbourhood.view_activity", Activity.objects.all()).filter(
        community__path__under=within.path).values("pk")
    attendances = Attendance.objects.filter(session__activity__in=rows, session__starts_at__gte=start, session__starts_at__lt=end)
    if by == "activity":
        grouped = attendances.values("session__activity_id", "session__activity__title")
        key, label = "session__activity_id", "session__activity__title"
    elif by == "month":
        grouped = attendances.annotate(month=TruncMonth("session__starts_at")).values("month")
        key, label = "month", "month"
    else:
        grouped = attendances.values("session__activity__community__code", "session__activity__community__name")
        key, label = "session__activity__community__code", "session__activity__community__name"
    result = grouped.annotate(people=Sum("people"), n=Count("id"), activities=Count("session__activity", distinct=True)).order_by(key)
    out = []
    for row in result:
        shown = row[label]
        if by == "month":
            shown = timezone.localtime(row["month"]).strftime("%Y-%m") if isinstance(row["month"], datetime) else str(row["month"])[:7]
        out.append(PersonTimes(label=str(shown), key=str(row[key]), person_times=row["people"] or 0, attendances=row["n"],
                               activities=row["activities"]))
    return out


def activity_person_times(*, activity: Activity) -> int:
    """Person-times (人次) an activity has served so far: the places checked in over all its sessions."""
    return Attendance.objects.filter(session__activity=activity).aggregate(n=Sum("people"))["n"] or 0


def person_times_total(*, user, within: Division, since: date, until: date) -> int:
    return sum(row.person_times for row in person_times(user=user, within=within, since=since, until=until))


# Service orders.

def order_list(*, user, within: Division | None = None, status: str | None = None, statuses: list[str] | None = None
               ) -> QuerySet[ServiceOrder]:
    orders = visible_to(user, "neighbourhood.view_serviceorder",
                        ServiceOrder.objects.select_related("community", "operator", "resident", "booking__room"))
    if within is not None:
        orders = orders.filter(community__path__under=within.path)
    if status:
        orders = orders.filter(status=status)
    if statuses:
        orders = orders.filter(status__in=statuses)
    return orders


def orders_meeting_needs(*, user, community: Division) -> QuerySet[ServiceOrder]:
    """The community's orders that an operator took on (accepted, scheduled, delivered or rated): what may meet a need."""
    return order_list(user=user, within=community, statuses=[OrderStatus.ACCEPTED, OrderStatus.SCHEDULED, OrderStatus.DELIVERED,
                                                             OrderStatus.RATED]).order_by("-created_at", "-id")


def order_get(*, user, pk: int) -> ServiceOrder:
    orders = ServiceOrder.objects.select_related("community", "operator", "resident", "booking__room__site", "kind", "need")
    try:
        return get_for_user(user, "neighbourhood.view_serviceorder", orders, pk=pk)
    except NotFound:
        # Someone who joined a pooled order sees it too.
        order = orders.filter(pk=pk, members__user=user).first() if getattr(user, "is_authenticated", False) else None
        if order is None:
            raise
        return order


def my_orders(*, user) -> QuerySet[ServiceOrder]:
    return ServiceOrder.objects.filter(Q(resident=user) | Q(members__user=user)).distinct() \
        .select_related("operator", "community").order_by("-created_at", "-id")


def orders_to_join(*, user, community: Division) -> QuerySet[ServiceOrder]:
    """Pooled orders of the community still gathering people (what is wanted, how many; no names)."""
    return ServiceOrder.objects.filter(community=community, pooled=True, status__in=[OrderStatus.PLACED, OrderStatus.ACCEPTED]) \
        .exclude(members__user=user).select_related("operator").order_by("-created_at")


# Feedback.

def feedback_list(*, user, within: Division | None = None, status: str | None = None, open_only: bool = False,
                  routed_to_me: bool = False) -> QuerySet[FeedbackRequest]:
    requests = visible_to(user, "neighbourhood.view_feedbackrequest",
                          FeedbackRequest.objects.select_related("community", "routed_to", "submitted_by"))
    if within is not None:
        requests = requests.filter(community__path__under=within.path)
    if status:
        requests = requests.filter(status=status)
    elif open_only:
        requests = requests.exclude(status__in=FEEDBACK_CLOSED)
    return requests


def with_deadlines(requests: QuerySet[FeedbackRequest], *, division: Division, now: datetime | None = None) -> QuerySet[FeedbackRequest]:
    """Each request with ``overdue`` (open past its deadline) and ``due_soon`` (open, due within the
    city's ``neighbourhood.feedback_due_soon_hours``)."""
    now = now or timezone.now()
    soon = now + timedelta(hours=int(rule_value(division, "neighbourhood.feedback_due_soon_hours")))
    open_ = ~Q(status__in=FEEDBACK_CLOSED)
    return requests.annotate(
        overdue=Case(When(open_ & Q(due_at__lt=now), then=True), default=False, output_field=BooleanField()),
        due_soon=Case(When(open_ & Q(due_at__gte=now, due_at__lt=soon), then=True), default=False, output_field=BooleanField()))


def feedback_queue(*, user, within: Division) -> QuerySet[FeedbackRequest]:
    """Open requests routed to ``within`` or below, the soonest due first."""
    return feedback_list(user=user, open_only=True).filter(routed_to__path__under=within.path).order_by("due_at", "id")


def feedback_get(*, user, pk: int) -> FeedbackRequest:
    return get_for_user(user, "neighbourhood.view_feedbackrequest",
                        FeedbackRequest.objects.select_related("community", "routed_to", "submitted_by"), pk=pk)


def feedback_figures(*, user, within: Division, now: datetime | None = None) -> dict:
    """Open, overdue, closed and the median hours to close, below ``within``."""
    now = now or timezone.now()
    requests = feedback_list(user=user, within=within)
    open_requests = requests.exclude(status__in=FEEDBACK_CLOSED)
    closed = list(requests.filter(closed_at__isnull=False).values_list("created_at", "closed_at")[:5000])
    hours = sorted((c - s).total_seconds() / 3600 for s, c in closed)
    on_time = requests.filter(closed_at__isnull=False, closed_at__lte=F("due_at")).count()
    return {
        "open": open_requests.count(), "overdue": open_requests.filter(due_at__lt=now).count(), "closed": len(hours),
        "median_hours": round(hours[len(hours) // 2], 1) if hours else None,
        "on_time_share": round(on_time / len(hours), 3) if hours else None,
    }


def public_feedback() -> QuerySet[FeedbackRequest]:
    """What anyone may read (Open311): requests their senders left public, without names or phones."""
    return FeedbackRequest.objects.filter(public=True).select_related("community", "routed_to")


# A community for its residents.

CENTRE_KINDS = [SiteKind.PARTY_MASS_CENTRE, SiteKind.NEIGHBOURHOOD_CENTRE, SiteKind.SERVICE_STATION]


def community_centre(*, community: Division) -> Site | None:
    """The community's centre (or its street's neighbourhood centre) that residents go to."""
    sites = Site.objects.filter(closed_on__isnull=True).filter(
        Q(division=community) | Q(division__path__in=_ancestor_paths(community)))
    order = {kind: i for i, kind in enumerate(CENTRE_KINDS)}
    found = sorted(sites.filter(kind__in=CENTRE_KINDS), key=lambda s: (s.division_id != community.pk, order.get(s.kind, 9), s.pk))
    return found[0] if found else None


def community_has_fund(*, community: Division) -> bool:
    """Whether the community has a development fund, whose public disclosure its residents may read."""
    from funds.models import Fund

    return Fund.objects.filter(division=community).exists()


def household_of(*, user) -> Household | None:
    return Household.objects.filter(resident=user).select_related("community", "grid").first()


def home_community(*, user) -> Division | None:
    return resident_community(user)


def week_window(now: datetime | None = None) -> tuple[datetime, datetime]:
    now = timezone.localtime(now or timezone.now())
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=7)


def community_level(division: Division) -> bool:
    return division.level == DivisionLevel.COMMUNITY
