"""Reading space for service: admitted operators, agreements in force, their services, reports and findings.

Every read is scoped through ``accounts.permissions``; the helpers that other modules use to
find who may serve a community (``admitted_operators``, ``services_offered``) read without a
user, because they answer a question about the community, not about a person's rights.
"""

from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone

from core.scoping import ancestor_paths
from org.models import Division, Organisation

from .models import (
    Admission,
    AdmissionStatus,
    Agreement,
    AgreementService,
    AgreementStatus,
)


def _places_above(division: Division) -> list[str]:
    """The paths of ``division`` and every division above it."""
    return [*ancestor_paths(division.path), division.path]


def blacklisted_operator_ids(*, division: Division) -> set[int]:
    """Operators blacklisted at this division or at any division above it."""
    return set(Admission.objects.filter(status=AdmissionStatus.BLACKLISTED, division__path__in=_places_above(division))
               .values_list("operator_id", flat=True))


def admissions_in_force(*, division: Division, on: date | None = None) -> QuerySet[Admission]:
    """Admissions that let an operator work in ``division`` on ``on``: granted here or above, valid that day."""
    on = on or timezone.localdate()
    return Admission.objects.filter(status=AdmissionStatus.ADMITTED, division__path__in=_places_above(division),
                                    valid_from__lte=on, valid_until__gte=on).exclude(
        operator_id__in=blacklisted_operator_ids(division=division))


def admitted_operators(*, division: Division, on: date | None = None, category: str | None = None) -> QuerySet[Organisation]:
    """Operators currently admitted for ``division`` (by its street, district or city), optionally
    only those admitted for a service ``category``."""
    admissions = admissions_in_force(division=division, on=on)
    if category:
        ids = [operator_id for operator_id, categories in admissions.values_list("operator_id", "categories")
               if category in categories]
    else:
        ids = admissions.values("operator_id")
    return Organisation.objects.filter(pk__in=ids, is_active=True).order_by("name")


def agreements_in_force(*, on: date | None = None) -> QuerySet[Agreement]:
    on = on or timezone.localdate()
    return Agreement.objects.filter(status=AgreementStatus.ACTIVE, starts_on__lte=on).filter(
        Q(terminated_on__isnull=True, ends_on__gte=on) | Q(terminated_on__gte=on))


def services_offered(*, division: Division, on: date | None = None) -> QuerySet[AgreementService]:
    """Services under agreements in force for ``division``: its own and those of the street above it."""
    agreements = agreements_in_force(on=on).filter(division__path__in=_places_above(division))
    return (AgreementService.objects.filter(agreement__in=agreements)
            .select_related("agreement__operator", "agreement__division").order_by("category", "tier", "name"))
