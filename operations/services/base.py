"""The checks every step of space for service shares, operators' qualifications and the city's admission checklist."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record, snapshot
from core.errors import ValidationFailed
from core.services import clean_or_raise, require_filled
from core.uploads import document_from_upload
from ledger.services import to_yuan
from notifications.services import notify
from org.models import Division, Organisation, OrganisationKind
from rulepack.selectors import rule

from ..models import (
    Qualification,
    ServiceCategory,
)

LICENCES = ("business_licence", "registration")



def _money(value, field: str) -> Decimal:
    amount = to_yuan(value if value not in (None, "") else "0", field=field)
    if amount < 0:
        raise ValidationFailed(fields={field: [_("An amount cannot be negative.")]})
    return amount


def _categories(values) -> list[str]:
    chosen = [v for v in dict.fromkeys(values or [])]
    wrong = [v for v in chosen if v not in ServiceCategory.values]
    if wrong or not chosen:
        raise ValidationFailed(fields={"categories": [_("Choose at least one of the service categories.")]})
    return chosen


def _notify_operator(operator: Organisation, title, url: str) -> None:
    from accounts.models import Role

    for assignment in operator.role_assignments.filter(role=Role.OPERATOR_STAFF, revoked_at__isnull=True).select_related("user"):
        notify(user=assignment.user, title=title, url=url)


# Qualifications.

@transaction.atomic
def qualification_add(*, actor, operator: Organisation, kind: str, number: str, issued_by: str = "",
                      valid_until: date | None = None, document=None) -> Qualification:
    if operator.kind != OrganisationKind.OPERATOR:
        raise ValidationFailed(fields={"operator": [_("Only operators file qualifications here.")]})
    require_filled(number=number)
    qualification = Qualification(operator=operator, kind=kind, number=number.strip(), issued_by=issued_by.strip(),
                                  valid_until=valid_until)
    clean_or_raise(qualification, exclude=["document"])
    if document is not None:
        document = document_from_upload(document)
        qualification.document.save(document.name, document, save=False)
    qualification.save()
    audit_record(actor=actor, action="operations.qualification.added", target=qualification, division=operator.home_division,
                 organisation=operator, changes=snapshot(qualification, ["kind", "number", "issued_by", "valid_until"]))
    return qualification


# Admission (准入) [Zibo, Xishan].

def checklist_items(division: Division) -> list[dict]:
    found = rule(division=division, key="operations.admission_checklist")
    return list(found.params["checks"]) if found is not None else []


