"""Races on PostgreSQL: payments against a subsidy, a room's agreed hours against bookings, a report confirmed twice,
reports confirmed while the community's fund is founded."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from operations import services
from operations.models import AgreementStatus, Funding, Payment
from scheduling.models import HOLDING, Booking
from scheduling.services import booking_create
from scheduling.tests.conftest import at
from tests.concurrency import race, requires_postgresql

from .conftest import FIGURES, draft, in_force, last_month
from .test_funding_and_offers import station_subsidy

pytestmark = [requires_postgresql, pytest.mark.django_db(transaction=True)]


def test_forty_payments_at_once_never_pay_more_than_the_subsidy(world, ops):
    funding = station_subsidy(world, ops)  # ¥100,000
    payer = world.users["supervisor"]

    def pay(n):
        return lambda: services.funding_pay(actor=payer, funding=funding, amount="4000", paid_on=timezone.localdate(),
                                            document=f"拨款-{n}") and "paid"

    outcomes = race([pay(n) for n in range(40)])
    assert outcomes == {"paid": 25, "refused:validation_failed": 15}, outcomes
    funding = Funding.objects.get(pk=funding.pk)
    assert funding.paid == Decimal("100000.00") == sum(Payment.objects.values_list("amount", flat=True))


def test_a_rooms_agreed_hours_and_bookings_for_them_never_overlap(world, ops):
    agreement = draft(world, ops, hours=[{"weekday": 1, "start": "09:00", "end": "12:00"}])
    services.agreement_submit(actor=world.users["community_worker"], agreement=agreement)
    monday = (7 - timezone.localdate().weekday()) % 7 or 7
    worker = world.users["community_worker"]

    def approve():
        services.agreement_approve(actor=world.users["street_admin"], agreement=agreement)
        return "approved"

    def book(n):
        return lambda: booking_create(actor=worker, room=ops.hall, start=at(monday + 7 * (n % 3), 10),
                                      end=at(monday + 7 * (n % 3), 11), title=f"议事会{n}") and "booked"

    outcomes = race([approve] + [book(n) for n in range(24)])
    agreement.refresh_from_db()
    # Either the agreement holds every Monday morning and all bookings were refused, or some booking
    # got in first and the whole approval was refused.
    if agreement.status == AgreementStatus.ACTIVE:
        assert outcomes["approved"] == 1 and outcomes["booked"] == 0
    else:
        assert outcomes["approved"] == 0 and 1 <= outcomes["booked"] <= 3
        assert not Booking.objects.filter(origin=f"agreement:{agreement.pk}").exists()
    assert sum(outcomes.values()) == 25 and set(outcomes) <= {"approved", "booked", "refused:already_booked"}, outcomes
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT count(*) FROM scheduling_booking a JOIN scheduling_booking b
              ON a.room_id = b.room_id AND a.id < b.id AND a.starts_at < b.blocked_until AND b.starts_at < a.blocked_until
            WHERE a.status = ANY(%s) AND b.status = ANY(%s)""", [list(HOLDING), list(HOLDING)])
        assert cursor.fetchone()[0] == 0


def test_a_report_confirmed_twice_at_once_posts_the_share_once(world, ops):
    from funds.models import Income
    from funds.services import fund_create

    fund = fund_create(actor="test", division=ops.community, host=world.organisations["甲市一区慈善会"], led_by="一社党委")
    agreement = in_force(world, ops, starts_on=timezone.localdate() - timedelta(days=90))
    report = services.report_submit(actor=world.users["operator_staff"], agreement=agreement, month=last_month(), figures=FIGURES)

    def confirm():
        services.report_confirm(actor=world.users["community_worker"], report=report)
        return "confirmed"

    outcomes = race([confirm for _ in range(8)])
    assert outcomes == {"confirmed": 1, "refused:wrong_status": 7}, outcomes
    assert Income.objects.filter(fund=fund).count() == 1
    fund.account.refresh_from_db()
    assert fund.account.balance == report.fund_share == Decimal("1000.00")


def test_founding_the_fund_while_reports_are_confirmed_loses_no_share_and_posts_none_twice(world, ops):
    """Eight reports confirmed while the community's fund is founded: each share either goes straight into
    the fund or is held and handed over by the founding, exactly once."""
    from funds.models import HeldShare, Income
    from funds.services import fund_create
    from ledger.models import Account

    agreement = in_force(world, ops, starts_on=timezone.localdate() - timedelta(days=300))
    month, reports = last_month(), []
    for _ in range(8):
        reports.append(services.report_submit(actor=world.users["operator_staff"], agreement=agreement, month=month, figures=FIGURES))
        month = (month - timedelta(days=1)).replace(day=1)

    def confirm(report):
        return lambda: services.report_confirm(actor=world.users["community_worker"], report=report) and "confirmed"

    def found():
        fund_create(actor=world.users["city_supervisor"], division=ops.community, host=world.organisations["甲市一区慈善会"],
                    led_by="一社党委", founded_on=timezone.localdate() - timedelta(days=400))
        return "founded"

    outcomes = race([found, *[confirm(report) for report in reports]])
    assert outcomes == {"founded": 1, "confirmed": 8}, outcomes
    fund = ops.community.fund
    fund.account.refresh_from_db()
    total = sum((r.fund_share for r in reports), Decimal("0.00"))
    assert total == Decimal("8000.00") and fund.account.balance == total
    assert Income.objects.filter(fund=fund).count() == 8
    assert not HeldShare.objects.filter(income__isnull=True).exists()
    held = Account.objects.filter(code=f"held:{ops.community.code}").first()
    assert held is None or held.balance == Decimal("0.00")
