"""Households, and needs: recording, supporting, marking them met or not, and inviting operators to meet them."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from audit.services import audit_record, snapshot
from core.errors import Conflict, PermissionDenied
from core.services import clean_or_raise
from notifications.services import notify
from org.models import Division, DivisionLevel, Organisation, OrganisationKind

from ..models import (
    Activity,
    Household,
    HouseholdTag,
    Invitation,
    InvitationStatus,
    Need,
    NeedKind,
    NeedSource,
    NeedStatus,
    NeedSupport,
    ServiceOrder,
    ServiceTier,
)
from .base import (
    _choice,
    _require_resident_of,
    _text,
    invalid,
    operator_of,
    operator_serves,
    resident_community,
    services_in_scope,
    staff_reaches,
    worker_grids,
)


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

