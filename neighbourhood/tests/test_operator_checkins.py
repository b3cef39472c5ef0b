"""An operator's monthly report is cross-checked against the check-ins at its activities on the platform."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from operations import services as operations
from operations.compliance import judge_report
from operations.models import Finding, OperatingReport, Severity
from operations.tests.conftest import FIGURES, in_force, last_month, ops  # noqa: F401  (the ops fixture)

from .. import services
from .conftest import residents

pytestmark = pytest.mark.django_db


def test_a_report_counting_fewer_people_than_checked_in_is_flagged(world, ops):  # noqa: F811
    agreement = in_force(world, ops)
    month = last_month()
    published = timezone.make_aware(datetime.combine(month.replace(day=2), time(9)))
    starts = published + timedelta(days=8, hours=1)
    staff = world.users["operator_staff"]
    activity = services.activity_publish(actor=staff, community=ops.community, organiser=ops.operator, title="长者健步走",
                                         category="food_recreation", capacity=10, starts_at=starts,
                                         ends_at=starts + timedelta(minutes=90), place="小区广场", now=published)
    session = activity.sessions.get()
    for person in residents(world, 3, prefix="zoulu"):
        registration = services.registration_create(actor=person, activity=activity, now=published)
        services.check_in(actor=staff, session=session, registration=registration, now=starts + timedelta(minutes=5))

    report = operations.report_submit(actor=staff, agreement=agreement, month=month, figures={
        **FIGURES, "people_free": 2, "people_low_cost": 0, "people_market": 0})
    warning = Finding.objects.get(report=report, rule_key="operations.attendance_check", resolved_at__isnull=True)
    assert warning.severity == Severity.WARNING and "2" in warning.figure and "3" in warning.figure
    assert "签到" in warning.message

    honest = OperatingReport(agreement=agreement, month=month, revenue_low_cost=Decimal("0"), revenue_market=Decimal("0"),
                             operating_cost=Decimal("100"), people_free=30)
    assert "operations.attendance_check" not in {v.rule_key for v in judge_report(honest)}
