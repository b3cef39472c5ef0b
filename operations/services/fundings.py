"""Public funding of services (government purchase, subsidies): milestones decided on evidence, payments within the amount, closing."""

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record, snapshot
from core.errors import Conflict, ValidationFailed
from core.services import clean_or_raise, require_filled
from core.uploads import document_from_upload
from ledger.services import to_yuan
from org.models import Division, Organisation, OrganisationKind
from rulepack.selectors import param

from ..models import (
    ZERO,
    Funding,
    FundingKind,
    FundingStatus,
    Milestone,
    MilestoneStatus,
    Payment,
)
from .base import _money


@transaction.atomic
def funding_create(*, actor, kind: str, title: str, funder: Division, division: Division, amount=None, starts_on: date,
                   ends_on: date, number: str = "", department: Organisation | None = None,
                   recipient: Organisation | None = None, site=None, conditions: str = "",
                   milestones: list[dict] | None = None) -> Funding:
    """Record a purchase-of-service contract or a subsidy, with its milestones (each with the payment it releases)."""
    if kind not in FundingKind.values:
        raise ValidationFailed(fields={"kind": [_("Choose a kind of funding.")]})
    if not division.path.startswith(funder.path):
        raise ValidationFailed(fields={"division": [_("The funder pays for places in its own area.")]})
    if kind == FundingKind.PURCHASE and (recipient is None or recipient.kind != OrganisationKind.OPERATOR):
        raise ValidationFailed(fields={"recipient": [_("A purchased service is provided by an operator or social organisation.")]})
    if department is not None and department.kind != OrganisationKind.DEPARTMENT:
        raise ValidationFailed(fields={"department": [_("Choose a government department.")]})
    if site is not None and not site.division.path.startswith(division.path):
        raise ValidationFailed(fields={"site": [_("The site is not in the place funded.")]})
    if amount in (None, "") and kind == FundingKind.CONSTRUCTION_SUBSIDY:
        amount = param(division=division, key="operations.service_station_subsidy")
    amount = to_yuan(amount if amount not in (None, "") else "0", field="amount")
    if amount <= 0:
        raise ValidationFailed(fields={"amount": [_("The amount must be more than zero.")]})
    require_filled(title=title)
    funding = Funding(kind=kind, title=title.strip(), number=number.strip(), funder=funder, department=department,
                      division=division, recipient=recipient, site=site, amount=amount, starts_on=starts_on, ends_on=ends_on,
                      conditions=conditions.strip(), created_by=actor)
    clean_or_raise(funding, exclude=["created_by"])
    rows, errors = [], {}
    for index, item in enumerate(milestones or [], start=1):
        try:
            due_on = item["due_on"] if isinstance(item["due_on"], date) else date.fromisoformat(str(item["due_on"]))
            rows.append(Milestone(title=str(item["title"]).strip(), due_on=due_on,
                                  amount=_money(item.get("amount"), f"milestones.{index}")))
            if not rows[-1].title:
                raise KeyError
        except (KeyError, ValueError, ValidationFailed):
            errors[f"milestones.{index}"] = [_("A milestone needs a title, a due date and the amount it releases.")]
    if errors:
        raise ValidationFailed(fields=errors)
    if sum((m.amount for m in rows), ZERO) > amount:
        raise ValidationFailed(fields={"milestones": [_("The milestones release more than the amount.")]})
    funding.save()
    for row in rows:
        row.funding = funding
    Milestone.objects.bulk_create(rows)
    audit_record(actor=actor, action="operations.funding.created", target=funding, division=division, organisation=recipient,
                 changes={**snapshot(funding, ["kind", "title", "number", "amount", "starts_on", "ends_on"]),
                          "milestones": len(rows)})
    return funding


def _locked_funding(funding: Funding) -> Funding:
    return Funding.objects.select_for_update(of=("self",)).select_related("division", "recipient").get(pk=funding.pk)


@transaction.atomic
def milestone_decide(*, actor, milestone: Milestone, met: bool, evidence: str, evidence_file=None,
                     now: datetime | None = None) -> Milestone:
    """Record whether a milestone was met, with the evidence."""
    funding = _locked_funding(milestone.funding)
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
    if funding.status != FundingStatus.ACTIVE or milestone.status != MilestoneStatus.PENDING:
        raise Conflict(_("This milestone has already been decided."), code="wrong_status")
    require_filled(evidence=evidence)
    evidence_file = document_from_upload(evidence_file, field="evidence_file") if evidence_file is not None else None
    milestone.status = MilestoneStatus.MET if met else MilestoneStatus.MISSED
    milestone.evidence, milestone.decided_by, milestone.decided_at = evidence.strip(), actor, now or timezone.now()
    if evidence_file is not None:
        milestone.evidence_file.save(evidence_file.name, evidence_file, save=False)
    milestone.save()
    audit_record(actor=actor, action=f"operations.milestone.{milestone.status}", target=milestone, division=funding.division,
                 organisation=funding.recipient, note=evidence)
    return milestone


@transaction.atomic
def funding_pay(*, actor, funding: Funding, amount, paid_on: date, document: str,
                milestone: Milestone | None = None) -> Payment:
    """Record a payment: never beyond the amount (the row is locked, and a check constraint stands behind it);
    a milestone's payment only once it is met and within what it releases."""
    amount = to_yuan(amount, field="amount")
    if amount <= 0:
        raise ValidationFailed(fields={"amount": [_("The amount must be more than zero.")]})
    require_filled(document=document)
    funding = _locked_funding(funding)
    if funding.status != FundingStatus.ACTIVE:
        raise Conflict(_("This funding is %(status)s; no more payments.") % {"status": funding.get_status_display()},
                       code="wrong_status")
    if funding.paid + amount > funding.amount:
        raise ValidationFailed(fields={"amount": [_("Only %(left)s yuan of the amount is left to pay.") % {
            "left": funding.amount - funding.paid}]})
    if milestone is not None:
        milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)  # as decided now, not as the caller read it
        if milestone.funding_id != funding.pk:
            raise ValidationFailed(fields={"milestone": [_("This milestone belongs to other funding.")]})
        if milestone.status != MilestoneStatus.MET:
            raise Conflict(_("Pay on a milestone once it is met."), code="milestone_not_met")
        already = sum((p.amount for p in milestone.payments.all()), ZERO)
        if already + amount > milestone.amount:
            raise ValidationFailed(fields={"amount": [_("The milestone releases %(left)s yuan more at most.") % {
                "left": milestone.amount - already}]})
    payment = Payment.objects.create(funding=funding, milestone=milestone, amount=amount, paid_on=paid_on,
                                     document=document.strip(), recorded_by=actor)
    funding.paid += amount
    funding.save(update_fields=["paid"])
    audit_record(actor=actor, action="operations.funding.paid", target=funding, division=funding.division,
                 organisation=funding.recipient, changes={"amount": amount, "paid": funding.paid, "document": document})
    return payment


@transaction.atomic
def funding_close(*, actor, funding: Funding, completed: bool, note: str) -> Funding:
    funding = _locked_funding(funding)
    if funding.status != FundingStatus.ACTIVE:
        raise Conflict(_("This funding is already closed."), code="wrong_status")
    require_filled(note=note)
    funding.status = FundingStatus.COMPLETED if completed else FundingStatus.CANCELLED
    funding.save(update_fields=["status"])
    audit_record(actor=actor, action=f"operations.funding.{funding.status}", target=funding, division=funding.division,
                 organisation=funding.recipient, note=note)
    return funding


# Idle rooms offered for partnership [Huli: 盘活闲置空间].

