"""Compliance by property class [Huli]: each rule of the pack judged on agreements and reports, with the figures."""

from decimal import Decimal

import pytest

from operations import services
from operations.compliance import findings_refresh, judge_agreement
from operations.models import Finding, Severity

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


def test_sessions_reported_far_beyond_the_bookings_are_flagged_for_checking(world, ops):
    from datetime import timedelta

    from django.utils import timezone

    from scheduling.models import Booking

    agreement = in_force(world, ops, hours=[{"weekday": d, "start": "09:00", "end": "12:00"} for d in range(1, 8)])
    # Place four of the agreement's bookings in last month, as if the term had been held then.
    month = last_month()
    for n, booking in enumerate(Booking.objects.filter(origin=f"agreement:{agreement.pk}").order_by("starts_at")[:4]):
        moved = timezone.localtime(booking.starts_at).replace(year=month.year, month=month.month, day=1 + n)
        Booking.objects.filter(pk=booking.pk).update(starts_at=moved, ends_at=moved + timedelta(hours=3),
                                                     blocked_until=moved + timedelta(hours=3))
    report = services.report_submit(actor=world.users["operator_staff"], agreement=agreement, month=month, figures=FIGURES)
    warning = Finding.objects.get(report=report, rule_key="operations.session_tolerance")
    assert warning.severity == Severity.WARNING and "26" in warning.figure and "4" in warning.figure


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
