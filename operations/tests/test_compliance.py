"""Compliance by property class [Huli]: each rule of the pack judged on agreements and reports, with the figures."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from operations import services
from operations.compliance import findings_refresh, judge_agreement
from operations.models import Finding, Severity
from scheduling.models import Booking

from .conftest import FIGURES, draft, in_force, last_month

pytestmark = pytest.mark.django_db


def open_findings(agreement):
    return {f.rule_key: f for f in Finding.objects.filter(agreement=agreement, resolved_at__isnull=True)}


def test_an_agreement_that_keeps_every_rule_has_no_finding(world, ops):
    agreement = in_force(world, ops)
    assert open_findings(agreement) == {}


def test_a_state_owned_room_with_too_little_public_benefit_is_a_breach_with_the_figures(world, ops):
    agreement = in_force(world, ops, terms={"public_benefit_share": "0.4"})
    finding = open_findings(agreement)["operations.state_public_benefit_share"]
    assert finding.severity == Severity.BREACH and finding.source == "Huli"
    assert "40%" in finding.figure and "60%" in finding.requirement


def test_free_use_of_a_state_owned_room_with_a_market_service_is_a_breach(world, ops):
    agreement = in_force(world, ops, terms={"annual_rent": "0"})
    finding = open_findings(agreement)["operations.state_free_use_non_profit"]
    assert "少儿美术" in finding.figure


def test_missing_basis_and_asset_procedure_are_named(world, ops):
    agreement = in_force(world, ops, terms={"basis_kind": "residents_council", "valuation_report_no": "", "authorised_by": ""})
    findings = open_findings(agreement)
    assert "居民议事会" in findings["operations.state_formal_basis"].figure
    assert "评估" in findings["operations.state_asset_procedure"].figure
    assert "授权" in findings["operations.state_asset_procedure"].figure


def test_a_village_collective_room_follows_the_collectives_rules_not_the_state_ones(world, ops):
    agreement = in_force(world, ops, room=ops.barn, terms={"annual_rent": "0", "public_benefit_share": "0.2"})
    assert set(open_findings(agreement)) == {"operations.collective_resolution"}


def test_a_mixed_room_follows_the_rules_of_each_part(world, ops):
    agreement = draft(world, ops, room=ops.annex, terms={"basis_kind": "joint_meeting", "public_benefit_share": "0.5"})
    agreement.status = "active"
    keys = {v.rule_key for v in judge_agreement(agreement)}
    assert keys == {"operations.state_public_benefit_share", "operations.collective_resolution"}
    agreement.collective_resolution, agreement.public_benefit_share = "村代会〔2026〕1号 2026-01-05", 0.6
    assert judge_agreement(agreement) == []


def test_paid_income_above_the_running_cost_is_a_breach_and_a_corrected_report_resolves_it(world, ops):
    agreement = in_force(world, ops)
    operator_staff = world.users["operator_staff"]
    report = services.report_submit(actor=operator_staff, agreement=agreement, month=last_month(),
                                     figures={**FIGURES, "revenue_market": "30000", "operating_cost": "25000"})
    finding = Finding.objects.get(report=report, resolved_at__isnull=True)
    assert finding.rule_key == "operations.state_income_within_cost"
    assert "¥38,000.00" in finding.figure and "¥25,000.00" in finding.figure and "13,000.00" in finding.message
    services.report_return(actor=world.users["community_worker"], report=report, note="收入超出运营成本，请核实")
    services.report_submit(actor=operator_staff, agreement=agreement, month=last_month(), figures=FIGURES)
    finding.refresh_from_db()
    assert finding.resolved_at is not None
    assert not Finding.objects.filter(report=report, resolved_at__isnull=True).exists()


def test_a_month_with_mostly_market_sessions_breaks_the_public_benefit_share(world, ops):
    agreement = in_force(world, ops)
    report = services.report_submit(actor=world.users["operator_staff"], agreement=agreement, month=last_month(),
                                    figures={**FIGURES, "sessions_free": 2, "sessions_low_cost": 2, "sessions_market": 16})
    finding = Finding.objects.get(report=report, rule_key="operations.state_public_benefit_share")
    assert "4" in finding.figure and "20%" in finding.figure


def schedule_findings(report) -> dict:
    return {f.rule_key: f for f in Finding.objects.filter(report=report, resolved_at__isnull=True,
                                                          rule_key__startswith="operations.session")}


def month_bookings(agreement, month):
    from operations.compliance import schedule_in_month

    return schedule_in_month(agreement, month)


def test_sessions_against_no_booking_at_all_are_flagged(world, ops):
    """Approved only now, the agreement held its room from today on: last month the room had no booking of it."""
    agreement = draft(world, ops)
    services.agreement_submit(actor=world.users["community_worker"], agreement=agreement)
    services.agreement_approve(actor=world.users["street_admin"], agreement=agreement, note="同意")
    assert month_bookings(agreement, last_month()).bookings == 0
    report = services.report_submit(actor=world.users["operator_staff"], agreement=agreement, month=last_month(),
                                    figures={**FIGURES, "sessions_free": 15, "sessions_low_cost": 4, "sessions_market": 2})
    warning = schedule_findings(report)["operations.session_tolerance"]
    assert warning.severity == Severity.WARNING
    assert warning.title == "月报场次与场地预约核对" and warning.figure == "月报21场，协议用房当月无预约"
    assert warning.message == f"{last_month():%Y-%m}：月报开展21场，但协议用房当月没有任何预约，请核实。"


def test_more_sessions_than_the_booked_hours_hold_are_flagged_with_the_figures(world, ops):
    """Half an hour every morning: each booking holds one session of the pack's 30 minutes."""
    agreement = in_force(world, ops, hours=[{"weekday": d, "start": "09:00", "end": "09:30"} for d in range(1, 8)])
    booked = month_bookings(agreement, last_month())
    assert booked.bookings >= 28 and booked.hours == booked.bookings / 2
    report = services.report_submit(actor=world.users["operator_staff"], agreement=agreement, month=last_month(),
                                    figures={**FIGURES, "sessions_free": booked.bookings - 1, "sessions_low_cost": 2,
                                             "sessions_market": 0})
    found = schedule_findings(report)
    assert set(found) == {"operations.session_min_minutes"}  # within the tolerance of the bookings' number
    hours = f"{booked.hours:g}"
    assert found["operations.session_min_minutes"].figure == f"月报{booked.bookings + 1}场，预约{hours}小时"
    assert found["operations.session_min_minutes"].requirement == f"至多{booked.bookings}场（每场按30分钟计）"
    assert found["operations.session_min_minutes"].source == "platform" and "30分钟" in found["operations.session_min_minutes"].title
    services.report_return(actor=world.users["community_worker"], report=report, note="场次超出预约时长，请核实")
    honest = services.report_submit(actor=world.users["operator_staff"], agreement=agreement, month=last_month(),
                                    figures={**FIGURES, "sessions_free": booked.bookings - 2, "sessions_low_cost": 2,
                                             "sessions_market": 0})
    assert schedule_findings(honest) == {}


def test_the_operators_own_bookings_of_the_rooms_count_and_another_agreements_hold_does_not(world, ops):
    agreement = draft(world, ops)
    services.agreement_submit(actor=world.users["community_worker"], agreement=agreement)
    services.agreement_approve(actor=world.users["street_admin"], agreement=agreement, note="同意")
    month = last_month()
    start = datetime.combine(month.replace(day=3), time(14), tzinfo=timezone.get_current_timezone())
    Booking.objects.bulk_create([  # bookings made last month (the service cannot book the past now)
        Booking(room=ops.hall, title="亲子绘本课", kind="activity", starts_at=start, ends_at=start + timedelta(hours=2),
                blocked_until=start + timedelta(hours=2), booker=world.users["operator_staff"], organisation=ops.operator,
                status="checked_in"),
        Booking(room=ops.hall, title="另一协议的时段", kind="agreement", starts_at=start + timedelta(days=1),
                ends_at=start + timedelta(days=1, hours=3), blocked_until=start + timedelta(days=1, hours=3),
                booker=world.users["street_admin"], organisation=ops.operator, status="confirmed", origin="agreement:999999"),
    ])
    booked = month_bookings(agreement, month)
    assert (booked.bookings, booked.hours, booked.checked_in) == (1, 2.0, 1)
    report = services.report_submit(actor=world.users["operator_staff"], agreement=agreement, month=month,
                                    figures={**FIGURES, "sessions_free": 1, "sessions_low_cost": 0, "sessions_market": 0})
    assert schedule_findings(report) == {}


def test_a_change_of_the_citys_rule_is_applied_on_the_next_check(world, ops):
    agreement = in_force(world, ops, terms={"public_benefit_share": "0.65"})
    assert open_findings(agreement) == {}
    from rulepack.services import default_pack_content, rulepack_load

    stricter = default_pack_content().replace('property_classes = ["state_admin"]\nmin_share = 0.6',
                                              'property_classes = ["state_admin"]\nmin_share = 0.8')
    assert stricter != default_pack_content()
    rulepack_load(actor=world.users["city_supervisor"], city=world.node("甲市"), content=stricter, note="提高公益比例")
    findings_refresh(agreement=agreement)
    assert "80%" in open_findings(agreement)["operations.state_public_benefit_share"].requirement
    assert Decimal("0.65") == agreement.public_benefit_share
