"""Admission of operators by a street: applying against the city's checklist, review, suspension, reinstatement, blacklisting and withdrawal."""

from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.services import require_filled
from org.models import Division, DivisionLevel, Organisation, OrganisationKind
from rulepack.selectors import param

from ..models import (
    LIVE_ADMISSION,
    Admission,
    AdmissionStatus,
)
from ..selectors import blacklisted_operator_ids
from .base import LICENCES, _categories, _notify_operator, checklist_items


@transaction.atomic
def admission_apply(*, actor, operator: Organisation, division: Division, categories: list[str], scope_description: str,
                    references: str = "", now: datetime | None = None) -> Admission:
    """An operator applies to a street or district for admission, for the service categories it offers."""
    now = now or timezone.now()
    if operator.kind != OrganisationKind.OPERATOR or not operator.is_active:
        raise ValidationFailed(fields={"operator": [_("Only an active operator can apply for admission.")]})
    if division.level not in (DivisionLevel.STREET, DivisionLevel.DISTRICT):
        raise ValidationFailed(fields={"division": [_("Operators are admitted by a street or a district.")]})
    categories = _categories(categories)
    require_filled(scope_description=scope_description)
    if operator.pk in blacklisted_operator_ids(division=division):
        raise PermissionDenied(_("%(operator)s is blacklisted here and cannot apply.") % {"operator": operator.name})
    today = timezone.localdate(now)
    if not operator.qualifications.filter(kind__in=LICENCES).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today)).exists():
        raise ValidationFailed(fields={"qualifications": [
            _("File a valid business licence or registration certificate before applying.")]})
    live = Admission.objects.select_for_update().filter(operator=operator, division=division, status__in=LIVE_ADMISSION).first()
    if live is not None:
        raise Conflict(_("%(operator)s already has an admission at %(division)s (%(status)s).") % {
            "operator": operator.name, "division": division.name, "status": live.get_status_display()}, code="admission_exists")
    admission = Admission.objects.create(operator=operator, division=division, categories=categories,
                                         scope_description=scope_description.strip(), references=references.strip(),
                                         applied_by=actor, applied_at=now)
    audit_record(actor=actor, action="operations.admission.applied", target=admission, division=division, organisation=operator,
                 changes={"categories": categories})
    return admission


def _locked_admission(admission: Admission) -> Admission:
    return Admission.objects.select_for_update(of=("self",)).select_related("operator", "division").get(pk=admission.pk)


def _admission_status(admission: Admission, *allowed: str) -> None:
    if admission.status not in allowed:
        raise Conflict(_("The admission is %(status)s; this step is not open to it.") % {"status": admission.get_status_display()},
                       code="wrong_status")


@transaction.atomic
def admission_review(*, actor, admission: Admission, admit: bool, checklist: dict, note: str = "",
                     valid_from: date | None = None, valid_until: date | None = None, now: datetime | None = None) -> Admission:
    """The street or district reviews an application against its checklist, and admits it or not.

    Every item of the city's checklist is answered; an operator is admitted only when every
    required item is met. Admission lets it serve the place (it is added to the divisions the
    operator serves) until ``valid_until`` (the pack's validity by default)."""
    now = now or timezone.now()
    admission = _locked_admission(admission)
    _admission_status(admission, AdmissionStatus.APPLIED)
    items = checklist_items(admission.division)
    answers, unanswered, unmet = {}, [], []
    for item in items:
        answer = checklist.get(item["code"])
        if not isinstance(answer, dict) or not isinstance(answer.get("met"), bool):
            unanswered.append(item["text"])
            continue
        answers[item["code"]] = {"met": answer["met"], "note": str(answer.get("note", ""))[:300]}
        if item.get("required", True) and not answer["met"]:
            unmet.append(item["text"])
    if unanswered:
        raise ValidationFailed(fields={"checklist": [_("Answer every item of the checklist: %(items)s") % {
            "items": "；".join(unanswered)}]})
    if admit and unmet:
        raise ValidationFailed(fields={"checklist": [_("An operator is admitted only when every required item is met; "
                                                       "not met: %(items)s") % {"items": "；".join(unmet)}]})
    if not admit and not note.strip():
        raise ValidationFailed(fields={"note": [_("Say why the operator is not admitted.")]})
    admission.checklist, admission.decision_note = answers, note.strip()
    admission.reviewed_by, admission.reviewed_at = actor, now
    if admit:
        valid_from = valid_from or timezone.localdate(now)
        years = int(param(division=admission.division, key="operations.admission_years"))
        valid_until = valid_until or valid_from.replace(year=valid_from.year + years) - timedelta(days=1)
        if valid_until < valid_from:
            raise ValidationFailed(fields={"valid_until": [_("The admission must end after it starts.")]})
        admission.status, admission.valid_from, admission.valid_until = AdmissionStatus.ADMITTED, valid_from, valid_until
        admission.operator.served_divisions.add(admission.division)
    else:
        admission.status = AdmissionStatus.REJECTED
    admission.status_changed_at = now
    admission.save()
    audit_record(actor=actor, action=f"operations.admission.{admission.status}", target=admission, division=admission.division,
                 organisation=admission.operator, changes={"status": admission.status, "valid_until": admission.valid_until,
                                                           "unmet": unmet}, note=note)
    _notify_operator(admission.operator, _("%(division)s has decided on your admission: %(status)s") % {
        "division": admission.division.name, "status": admission.get_status_display()}, f"/operations/admissions/{admission.pk}/")
    return admission


def _admission_change(*, actor, admission: Admission, allowed: tuple, status: str, reason: str, now) -> Admission:
    admission = _locked_admission(admission)
    _admission_status(admission, *allowed)
    require_filled(reason=reason)
    before = admission.status
    admission.status, admission.status_reason, admission.status_changed_at = status, reason.strip(), now or timezone.now()
    admission.save(update_fields=["status", "status_reason", "status_changed_at"])
    audit_record(actor=actor, action=f"operations.admission.{status}", target=admission, division=admission.division,
                 organisation=admission.operator, changes={"status": [before, status]}, note=reason)
    _notify_operator(admission.operator, _("Your admission at %(division)s is now %(status)s") % {
        "division": admission.division.name, "status": admission.get_status_display()}, f"/operations/admissions/{admission.pk}/")
    return admission


@transaction.atomic
def admission_suspend(*, actor, admission: Admission, reason: str, now: datetime | None = None) -> Admission:
    """Suspend an admitted operator: no new agreement or report confirmation until it is reinstated."""
    return _admission_change(actor=actor, admission=admission, allowed=(AdmissionStatus.ADMITTED,),
                             status=AdmissionStatus.SUSPENDED, reason=reason, now=now)


@transaction.atomic
def admission_reinstate(*, actor, admission: Admission, reason: str, now: datetime | None = None) -> Admission:
    return _admission_change(actor=actor, admission=admission, allowed=(AdmissionStatus.SUSPENDED,),
                             status=AdmissionStatus.ADMITTED, reason=reason, now=now)


@transaction.atomic
def admission_blacklist(*, actor, admission: Admission, reason: str, now: datetime | None = None) -> Admission:
    """Blacklist the operator at this street or district: it may not apply again here or below."""
    return _admission_change(actor=actor, admission=admission,
                             allowed=(AdmissionStatus.APPLIED, AdmissionStatus.ADMITTED, AdmissionStatus.SUSPENDED,
                                      AdmissionStatus.REJECTED),
                             status=AdmissionStatus.BLACKLISTED, reason=reason, now=now)


@transaction.atomic
def admission_withdraw(*, actor, admission: Admission, now: datetime | None = None) -> Admission:
    return _admission_change(actor=actor, admission=admission, allowed=(AdmissionStatus.APPLIED,),
                             status=AdmissionStatus.WITHDRAWN, reason=str(_("Withdrawn by the operator")), now=now)


# Agreements (合作协议).

