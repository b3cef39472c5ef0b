"""Excel registers of the smart neighbourhood (台账): the needs list (export, and import of the
lists grid workers bring back from their visits, through ``services.need_record``, all or nothing),
activities with their registrations and person-times, service orders, and feedback with its
deadlines and time to close. Needs have no code: a row equal to a need already recorded (as an
export writes it) is that need and records nothing. Residents' personal data (whom a need is for, a
feedback's place to the door) is masked by ``core.privacy`` for those who do not handle it, and an
export that carries it whole is recorded in the audit trail."""

from collections import Counter

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.permissions import visible_to
from core.errors import PermissionDenied, ValidationFailed
from core.privacy import (
    ADDRESS,
    NAME,
    fresh_viewer,
    mask_address,
    personal_data_exported,
    redact_text,
    viewer_of,
)
from excel.registers import (
    Column,
    DivisionNames,
    Register,
    choice_label,
    parse_choice,
    parse_code,
    parse_text,
    register,
    run_rows_atomically,
)
from org.models import Division, DivisionLevel
from org.selectors import division_get
from registry.registers import check_within

from . import services
from .models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    FeedbackRequest,
    FeedbackStatus,
    Need,
    NeedStatus,
    OrderStatus,
    ServiceCategory,
    ServiceOrder,
    ServiceTier,
)


def _within(user, queryset, params: dict, path_field: str):
    if params.get("within"):
        queryset = queryset.filter(**{f"{path_field}__under": division_get(user=user, code=params["within"]).path})
    return queryset


def _within_division(user, params: dict) -> Division | None:
    return division_get(user=user, code=params["within"]) if params.get("within") else None


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _kind_options() -> list[tuple[str, tuple[str, ...]]]:
    from .selectors import need_kinds

    return [(kind.name, ()) for kind in need_kinds()]


TIER_WORDS = {ServiceTier.FREE: ("免费", "公益服务"), ServiceTier.LOW_COST: ("低价", "低偿服务"), ServiceTier.MARKET: ("市场价", "有偿")}


def need_places(user) -> DivisionNames:
    """The communities whose needs ``user`` can see, to be named in a workbook."""
    return DivisionNames(visible_to(user, "neighbourhood.view_need", Division.objects.filter(level=DivisionLevel.COMMUNITY)))


NEED_COLUMNS = [
    Column("community", _("Community code"), parse_code, width=14, note=_("May be left empty when the community is chosen by name")),
    Column("community_name", _("Community"), parse_text, width=16, options=lambda user: need_places(user).allowed(),
           note=_("From the list; when a code is given, the code decides")),
    Column("grid", _("Grid code"), parse_code, width=16,
           note=_("Empty for a grid worker: their own grid. The community's staff may name one of its grids.")),
    Column("kind", _("Kind of need"), parse_text, required=True, width=16, options=lambda user: _kind_options(),
           note=_("A kind from the catalogue, by name (老年助餐) or code (elderly_meals).")),
    Column("title", _("Need"), parse_text, width=28),
    Column("description", _("Details"), parse_text, width=30),
    Column("on_behalf_of", _("On behalf of"), parse_text, width=14),
    Column("preferred_tier", _("Price people can bear"), parse_choice(ServiceTier, TIER_WORDS), width=10),
    Column("category", _("Category"), parse_text, width=12),
    Column("supports", _("Supporters"), parse_text, width=8),
    Column("status", _("Status"), parse_text, width=10),
    Column("status_note", _("What is done about it"), parse_text, width=24),
    Column("recorded_at", _("Recorded at"), parse_text, width=16),
]


def export_needs(*, user, params: dict):
    needs = _within(user, visible_to(user, "neighbourhood.view_need", Need.objects.select_related("community", "grid", "kind")),
                    params, "community__path").order_by("community__code", "-supports", "id")

    viewer = fresh_viewer(user)

    def rows():
        shown = 0
        for n in needs.iterator(chunk_size=2000):
            before = viewer.revealed
            # Whom a need is for: named whole only for the community's workers (core.privacy).
            on_behalf_of = viewer.show(n.on_behalf_of, NAME, division=n.community_id)
            shown += viewer.revealed > before
            yield [n.community.code, n.community.name, n.grid.code if n.grid_id else "", n.kind.name, n.title, n.description, on_behalf_of,
                   choice_label(ServiceTier, n.preferred_tier) if n.preferred_tier else "", choice_label(ServiceCategory, n.category),
                   n.supports, choice_label(NeedStatus, n.status), n.status_note, _local(n.created_at)]
        personal_data_exported(user=user, register="neighbourhood.needs", division=_within_division(user, params), people=shown)

    return needs.count(), rows()


def import_needs(*, actor, rows, params: dict, progress) -> dict:
    """Needs gathered on visits (走访摸排), recorded by the community's staff or its grid workers
    (filed under their grid), all or nothing."""
    communities: dict[str, Division] = {}
    grids: dict[str, Division | None] = {}
    recorded: dict[int, Counter] = {}  # each community's needs, by what a row says of them
    from .selectors import need_kinds

    active = list(need_kinds())
    kinds = {k.code: k for k in active} | {k.name: k for k in active}

    def key(grid_id, kind_id, title, description, on_behalf_of, tier) -> tuple:
        return grid_id, kind_id, title.strip(), description.strip(), on_behalf_of.strip(), tier

    places = need_places(actor)
    viewer = viewer_of(actor)  # a name masked in the export reads back as the same need

    def apply_row(number: int, record: dict) -> str:
        code = record.get("community") or record.get("community_name") or ""
        if not code:
            raise ValidationFailed(fields={"community_name": [_("Say which community: choose its name from the list.")]})
        if code not in communities:
            if record.get("community"):
                community = Division.objects.filter(code=code, level=DivisionLevel.COMMUNITY).first()
            else:
                community = places.find(code)
            if community is None:
                field = "community" if record.get("community") else "community_name"
                raise ValidationFailed(fields={field: [_("%(code)s is not a community.") % {"code": code}]})
            if not services.may_record_needs(actor, community):
                raise PermissionDenied(_("You cannot record needs of %(code)s.") % {"code": code})
            communities[code] = community
            recorded[community.pk] = Counter(key(n.grid_id, n.kind_id, n.title, n.description,
                                                 viewer.show(n.on_behalf_of, NAME, division=n.community_id), n.preferred_tier)
                                             for n in Need.objects.filter(community=community))
        grid_code = record.get("grid") or ""
        if grid_code and grid_code not in grids:
            grids[grid_code] = Division.objects.filter(code=grid_code, level=DivisionLevel.GRID, parent=communities[code]).first()
        if grid_code and grids[grid_code] is None:
            raise ValidationFailed(fields={str(_("Grid code")): [_("%(code)s is not a grid of the community.") % {"code": grid_code}]})
        kind = kinds.get(record["kind"])
        if kind is None:
            raise ValidationFailed(fields={str(_("Kind of need")): [_("Unknown kind of need.")]})
        grid = grids.get(grid_code)
        same = key(grid.pk if grid else None, kind.pk, record.get("title") or kind.name, record.get("description") or "",
                   record.get("on_behalf_of") or "", record.get("preferred_tier") or "")
        if recorded[communities[code].pk][same] > 0:
            recorded[communities[code].pk][same] -= 1
            return "unchanged"
        services.need_record(actor=actor, community=communities[code], kind=kind, grid=grids.get(grid_code), title=record.get("title") or "",
                             description=record.get("description") or "", preferred_tier=record.get("preferred_tier") or "",
                             on_behalf_of=record.get("on_behalf_of") or str(_("visit")))
        return "created"

    return run_rows_atomically(rows, apply_row, progress)


ACTIVITY_COLUMNS = [Column(key, header, parse_text, width=width) for key, header, width in (
    ("community", _("Community"), 16), ("title", _("Activity"), 26), ("kind", _("Kind"), 10), ("category", _("Category"), 12),
    ("organiser", _("Run by"), 22), ("tier", _("Tier"), 8), ("price", _("Price (yuan)"), 9), ("starts_at", _("Starts"), 16),
    ("ends_at", _("Ends"), 16), ("sessions", pgettext_lazy("activity", "Sessions"), 8), ("capacity", _("Places"), 8), ("registered", _("Registered"), 8),
    ("waitlisted", _("Waiting"), 8), ("person_times", _("Person-times"), 10), ("status", _("Status"), 8))]


def export_activities(*, user, params: dict):
    activities = _within(user, visible_to(user, "neighbourhood.view_activity", Activity.objects.select_related("community", "organiser")),
                         params, "community__path").annotate(n_sessions=Count("sessions", distinct=True),
                                                             served=Sum("sessions__attendances__people")).order_by("starts_at", "id")

    def rows():
        for a in activities.iterator(chunk_size=2000):
            yield [a.community.name, a.title, choice_label(ActivityKind, a.kind), choice_label(ServiceCategory, a.category),
                   a.organiser.name if a.organiser else a.community.name, choice_label(ServiceTier, a.tier), a.price, _local(a.starts_at),
                   _local(a.ends_at), a.n_sessions, a.capacity, a.registered_places, a.waitlisted_places, a.served or 0,
                   choice_label(ActivityStatus, a.status)]

    return activities.count(), rows()


ORDER_COLUMNS = [Column(key, header, parse_text, width=width) for key, header, width in (
    ("community", _("Community"), 16), ("title", _("What"), 26), ("category", _("Category"), 12), ("operator", _("Operator"), 22),
    ("service", _("Service"), 18), ("participants", _("People"), 8), ("status", _("Status"), 10), ("ordered_at", _("Ordered"), 16),
    ("venue", _("Venue and time"), 24), ("people_served", _("People served"), 8), ("rating", _("Rating"), 6))]


def export_orders(*, user, params: dict):
    orders = _within(user, visible_to(user, "neighbourhood.view_serviceorder",
                                      ServiceOrder.objects.select_related("community", "operator", "booking__room")),
                     params, "community__path").order_by("created_at", "id")

    def rows():
        for o in orders.iterator(chunk_size=2000):
            venue = f"{o.booking.room.name} {_local(o.booking.starts_at)}" if o.booking_id else ""
            yield [o.community.name, o.title, choice_label(ServiceCategory, o.category), o.operator.name if o.operator else "",
                   o.service_name, o.participants, choice_label(OrderStatus, o.status), _local(o.created_at), venue,
                   o.people_served if o.people_served is not None else "", o.rating or ""]

    return orders.count(), rows()


FEEDBACK_COLUMNS = [Column(key, header, parse_text, width=width) for key, header, width in (
    ("community", _("Community"), 16), ("category", _("Category"), 12), ("description", _("What happened"), 34),
    ("address", _("Where"), 16), ("routed_to", _("Handled by"), 14), ("status", _("Status"), 10), ("submitted", _("Submitted"), 16),
    ("due", _("Due"), 16), ("closed", _("Closed"), 16), ("hours", _("Hours to close"), 10), ("on_time", _("On time"), 8),
    ("note", _("Latest public note"), 30))]


def export_feedback(*, user, params: dict):
    requests = _within(user, visible_to(user, "neighbourhood.view_feedbackrequest",
                                        FeedbackRequest.objects.select_related("community", "routed_to")),
                       params, "community__path").order_by("created_at", "id")

    viewer = fresh_viewer(user)

    def rows():
        shown = 0
        for f in requests.iterator(chunk_size=2000):
            hours = round((f.closed_at - f.created_at).total_seconds() / 3600, 1) if f.closed_at else ""
            on_time = (str(_("yes")) if f.closed_at <= f.due_at else str(_("no"))) if f.closed_at else ""
            # The place to the door and numbers in the words: whole only for the staff it was routed to (core.privacy).
            whole = viewer.sees(ADDRESS, division=f.routed_to_id, owner=f.submitted_by_id)
            shown += whole and f.submitted_by_id != user.pk and bool(f.address)
            yield [f.community.name, f.category_name, f.description if whole else redact_text(f.description),
                   f.address if whole else mask_address(f.address), f.routed_to.name, choice_label(FeedbackStatus, f.status),
                   _local(f.created_at), _local(f.due_at), _local(f.closed_at), hours, on_time, f.public_note]
        personal_data_exported(user=user, register="neighbourhood.feedback", division=_within_division(user, params), people=shown)

    return requests.count(), rows()


register(Register(name="neighbourhood.needs", title=_("Needs list"), permission="neighbourhood.change_need", columns=NEED_COLUMNS,
                  export_rows=export_needs, import_rows=import_needs, check_params=check_within))
register(Register(name="neighbourhood.activities", title=_("Activities and person-times"), permission="neighbourhood.view_persontimes",
                  columns=ACTIVITY_COLUMNS, export_rows=export_activities, check_params=check_within))
register(Register(name="neighbourhood.orders", title=_("Service orders"), permission="neighbourhood.view_serviceorder",
                  columns=ORDER_COLUMNS, export_rows=export_orders, check_params=check_within))
register(Register(name="neighbourhood.feedback", title=_("Feedback requests"), permission="neighbourhood.change_feedbackrequest",
                  columns=FEEDBACK_COLUMNS, export_rows=export_feedback, check_params=check_within))
