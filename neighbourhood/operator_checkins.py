"""Check-ins at operators' activities, counted for the space-for-service report cross-check.

An operator's monthly report (operations) states the person-times it served. Where the
operator ran activities on the platform under the agreement — in one of the agreement's rooms,
or in its community at a place outside the register — the check-ins recorded here are a floor
for that figure; ``operations.compliance`` flags a report that claims fewer.
"""

from datetime import datetime

from django.db.models import Q, Sum

from .models import Attendance


def person_times_for_agreement(agreement, start: datetime, end: datetime) -> int:
    """Person-times checked in at the agreement's operator's activities under it, between ``start`` and ``end``."""
    rooms = agreement.spaces.values("room_id")
    under_agreement = Q(session__activity__room__in=rooms) | Q(
        session__activity__room__isnull=True, session__activity__community_id=agreement.division_id)
    return Attendance.objects.filter(
        under_agreement, session__activity__organiser_id=agreement.operator_id,
        session__starts_at__gte=start, session__starts_at__lt=end, session__cancelled=False,
    ).aggregate(people=Sum("people"))["people"] or 0
