"""Rectification items (整改): a finding — a standard failed, an operator's breach, an inspection
finding, a notice — becomes an item a unit is to put right, with the person responsible and a
deadline; the unit answers with what it did and its evidence; someone above the unit verifies it
and closes it, or returns it to be rectified again."""

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.uploads import document_from_upload
from notifications.services import notify
from org.models import Division

from ..models import FindingSource, Notice, Rectification, RectificationStatus


def _may_act_for(user, division: Division) -> bool:
    """Whether ``user`` answers for ``division``: they hold a role at it or above it that answers."""
    return user.has_perm("supervision.answer_rectification", division)


@transaction.atomic
def rectification_open(*, actor, division: Division, source: str, title: str, owner, deadline: date,
                       source_text: str = "", notice: Notice | None = None, today: date | None = None) -> Rectification:
    """Open an item for ``division`` to put right by ``deadline``, ``owner`` (a person of that unit) responsible."""
    today = today or timezone.localdate()
    if not actor.has_perm("supervision.open_rectification", division):
        raise PermissionDenied(_("Only the bureau or the street opens rectification items for this unit."))
    problems = {}
    if source not in FindingSource.values:
        problems["source"] = [_("Choose what the finding comes from.")]
    if not title.strip():
        problems["title"] = [_("Say what is to be put right.")]
    if deadline < today:
        problems["deadline"] = [_("The deadline cannot be before today.")]
    if owner is None or not _may_act_for(owner, division):
        problems["owner"] = [_("The person responsible must be staff of the unit (or of the street above it).")]
    if notice is not None and not notice.receipts.filter(division=division).exists():
        problems["notice"] = [_("The notice does not name this unit.")]
    if problems:
        raise ValidationFailed(fields=problems)
    item = Rectification.objects.create(division=division, source=source, source_text=source_text.strip()[:300], notice=notice,
                                        title=title.strip()[:200], owner=owner, deadline=deadline, opened_by=actor)
    notify(user=owner, title=_("To rectify by %(day)s: %(title)s") % {"day": deadline.isoformat(), "title": item.title},
           url=f"/supervision/rectifications/{item.pk}/")
    audit_record(actor=actor, action="supervision.rectification.opened", target=item, division=division,
                 changes={"title": item.title, "owner": owner.pk, "deadline": deadline, "source": source})
    return item


@transaction.atomic
def rectification_answer(*, actor, item: Rectification, response: str, evidence=None, now: datetime | None = None) -> Rectification:
    """The unit's answer: what it did, with its evidence (a photo or a PDF); the item waits for verification."""
    item = Rectification.objects.select_for_update(of=("self",)).select_related("division").get(pk=item.pk)
    if item.owner_id != actor.pk and not _may_act_for(actor, item.division):
        raise PermissionDenied(_("Only the person responsible or the unit's staff answer this item."))
    if item.status != RectificationStatus.OPEN:
        raise Conflict(_("This item is not waiting for an answer."), code="not_open")
    if not response.strip():
        raise ValidationFailed(fields={"response": [_("Say what was done.")]})
    if evidence is not None:
        document = document_from_upload(evidence, field="evidence")
        item.evidence.save(document.name, document, save=False)
    item.response, item.status, item.answered_at = response.strip(), RectificationStatus.ANSWERED, now or timezone.now()
    item.save(update_fields=["response", "status", "answered_at", "evidence"])
    notify(user=item.opened_by, title=_("Rectified, to verify: %(title)s") % {"title": item.title},
           url=f"/supervision/rectifications/{item.pk}/")
    audit_record(actor=actor, action="supervision.rectification.answered", target=item, division=item.division,
                 changes={"evidence": bool(item.evidence)})
    return item


@transaction.atomic
def rectification_verify(*, actor, item: Rectification, accepted: bool, note: str = "", now: datetime | None = None
                         ) -> Rectification:
    """Close the item, or return it to be rectified again (with the reason). Verified from above the
    unit: never by the unit that answered it."""
    item = Rectification.objects.select_for_update(of=("self",)).select_related("division__parent").get(pk=item.pk)
    above = item.division.parent
    if above is None or not actor.has_perm("supervision.verify_rectification", above) or actor.pk == item.owner_id:
        raise PermissionDenied(_("An item is verified from above the unit that put it right."))
    if item.status != RectificationStatus.ANSWERED:
        raise Conflict(_("Only an answered item is verified."), code="not_answered")
    if not accepted and not note.strip():
        raise ValidationFailed(fields={"verification": [_("Say why it is returned.")]})
    item.verification, item.verified_by = note.strip(), actor
    if accepted:
        item.status, item.closed_at = RectificationStatus.CLOSED, now or timezone.now()
    else:
        item.status, item.returned = RectificationStatus.OPEN, item.returned + 1
        notify(user=item.owner, title=_("Returned to rectify again: %(title)s") % {"title": item.title}, body=item.verification,
               url=f"/supervision/rectifications/{item.pk}/")
    item.save(update_fields=["verification", "verified_by", "status", "closed_at", "returned"])
    audit_record(actor=actor, action="supervision.rectification.closed" if accepted else "supervision.rectification.returned",
                 target=item, division=item.division, note=item.verification)
    return item
