"""Government-purchased services and subsidies; idle rooms offered for partnership."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import Conflict, PermissionDenied, ValidationFailed
from operations import services
from operations.models import (
    AgreementStatus,
    FundingKind,
    InterestStatus,
    MilestoneStatus,
    OfferStatus,
    Payment,
)
from scheduling.services import booking_create
from scheduling.tests.conftest import at

from .conftest import ACTOR, admit, records_bookings

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def station_subsidy(world, ops, **extra):
    from registry.tests.conftest import make_site

    station = make_site(ops.community, name="一社社区服务站", kind="service_station", area="300", ground="300")
    return services.funding_create(
        actor=world.users["supervisor"], kind=FundingKind.CONSTRUCTION_SUBSIDY, title="社区服务站建设提升补助",
        funder=world.node("甲市一区"), division=ops.community, site=station, starts_on=TODAY(),
        ends_on=TODAY() + timedelta(days=365), milestones=[
            {"title": "完成改造方案", "due_on": TODAY() + timedelta(days=60), "amount": "30000"},
            {"title": "通过验收", "due_on": TODAY() + timedelta(days=300), "amount": "70000"}], **extra)


def test_a_service_station_subsidy_takes_its_amount_from_the_rule_pack(world, ops):
    funding = station_subsidy(world, ops)
    assert funding.amount == Decimal("100000.00")  # [Quanzhou] ¥100,000 per service station
    assert [m.amount for m in funding.milestones.all()] == [Decimal("30000.00"), Decimal("70000.00")]


def test_milestones_may_not_release_more_than_the_amount(world, ops):
    with pytest.raises(ValidationFailed):
        station_subsidy(world, ops, amount="50000")


def test_a_milestone_is_paid_once_met_and_never_beyond_what_it_releases(world, ops):
    funding = station_subsidy(world, ops)
    first = funding.milestones.order_by("due_on").first()
    payer = world.users["supervisor"]
    with pytest.raises(Conflict):
        services.funding_pay(actor=payer, funding=funding, amount="30000", paid_on=TODAY(), document="拨款-1", milestone=first)
    services.milestone_decide(actor=payer, milestone=first, met=True, evidence="改造方案已批复（一民〔2026〕5号）")
    first.refresh_from_db()
    assert first.status == MilestoneStatus.MET
    services.funding_pay(actor=payer, funding=funding, amount="20000", paid_on=TODAY(), document="拨款-1", milestone=first)
    with pytest.raises(ValidationFailed):
        services.funding_pay(actor=payer, funding=funding, amount="20000", paid_on=TODAY(), document="拨款-2", milestone=first)
    services.funding_pay(actor=payer, funding=funding, amount="10000", paid_on=TODAY(), document="拨款-2", milestone=first)
    funding.refresh_from_db()
    assert funding.paid == Decimal("30000.00")


def test_payments_never_exceed_the_amount(world, ops):
    funding = station_subsidy(world, ops)
    payer = world.users["supervisor"]
    services.funding_pay(actor=payer, funding=funding, amount="99999.99", paid_on=TODAY(), document="拨款-1")
    with pytest.raises(ValidationFailed):
        services.funding_pay(actor=payer, funding=funding, amount="0.02", paid_on=TODAY(), document="拨款-2")
    for bad in ("0", "-5", "abc"):
        with pytest.raises(ValidationFailed):
            services.funding_pay(actor=payer, funding=funding, amount=bad, paid_on=TODAY(), document="拨款-3")
    assert Payment.objects.count() == 1


def test_a_purchased_service_is_provided_by_an_operator(world, ops):
    with pytest.raises(ValidationFailed):
        services.funding_create(actor=ACTOR, kind=FundingKind.PURCHASE, title="社工站购买服务", funder=world.node("甲市一区"),
                                division=ops.street, amount="300000", starts_on=TODAY(), ends_on=TODAY() + timedelta(days=365))
    funding = services.funding_create(actor=world.users["supervisor"], kind=FundingKind.PURCHASE, title="街道社工站购买服务",
                                      funder=world.node("甲市一区"), division=ops.street, recipient=ops.operator,
                                      amount="300000", starts_on=TODAY(), ends_on=TODAY() + timedelta(days=365),
                                      conditions="每月服务不少于200人次")
    assert funding.recipient == ops.operator


def test_an_idle_room_is_offered_and_a_proposal_becomes_a_draft_agreement(world, ops):
    worker = world.users["community_worker"]
    records_bookings(world, ops)
    offer = services.offer_publish(actor=worker, room=ops.barn, title="活动室寻找合作伙伴", description="引入托育或助餐服务",
                                   categories=["elderly_child"], hours=[{"weekday": 2, "start": "14:00", "end": "17:00"}],
                                   closes_on=TODAY() + timedelta(days=30))
    assert offer.usage_rate == 0
    interest = services.interest_submit(actor=world.users["operator_staff"], offer=offer, operator=ops.operator,
                                        proposal="开设四点半课堂和周末亲子活动", renovation_cost="30000",
                                        services=[{"name": "四点半课堂", "category": "elderly_child", "tier": "free", "price": "0"}])
    with pytest.raises(Conflict):
        services.interest_submit(actor=world.users["operator_staff"], offer=offer, operator=ops.operator, proposal="再次",
                                 services=[{"name": "x", "category": "elderly_child", "tier": "free", "price": "0"}])
    agreement = services.offer_award(actor=worker, offer=offer, interest=interest, terms={
        "mode": "co_operated", "starts_on": TODAY() + timedelta(days=7), "ends_on": TODAY() + timedelta(days=372),
        "basis_kind": "collective_meeting", "basis_number": "村代会〔2026〕2号", "basis_date": TODAY(),
        "collective_resolution": "村代会〔2026〕2号", "revenue_distribution": "无经营收入"}, shares=[])
    offer.refresh_from_db()
    interest.refresh_from_db()
    assert offer.status == OfferStatus.AWARDED and offer.agreement == agreement
    assert interest.status == InterestStatus.CHOSEN
    assert agreement.status == AgreementStatus.DRAFT and agreement.operator_renovation_cost == Decimal("30000.00")
    assert agreement.spaces.get().hours == [{"weekday": 2, "start": "14:00", "end": "17:00"}]


def test_a_busy_room_is_not_offered_as_idle(world, ops):
    worker = world.users["community_worker"]
    now = at(0, 0) + timedelta(days=7 * 9)  # nine weeks on, the last eight booked most days
    for day in range(1, 57):
        booking_create(actor=worker, room=ops.hall, start=at(day, 9), end=at(day, 13), title="日常活动",
                       now=at(0, 0))
    with pytest.raises(Conflict, match="%|idle"):
        services.offer_publish(actor=worker, room=ops.hall, title="大厅", description="合作", categories=["elderly_child"],
                               hours=[{"weekday": 2, "start": "14:00", "end": "17:00"}], closes_on=TODAY() + timedelta(days=90),
                               now=now)


def test_only_an_admitted_operator_may_propose(world, ops):
    offer = services.offer_publish(actor=world.users["community_worker"], room=ops.barn, title="活动室", description="合作",
                                   categories=["elderly_child"], hours=[{"weekday": 2, "start": "14:00", "end": "17:00"}],
                                   closes_on=TODAY() + timedelta(days=30))
    stranger = world.organisations["甲市一区二街一社服务中心"]
    with pytest.raises(Conflict):
        services.interest_submit(actor=ACTOR, offer=offer, operator=stranger, proposal="提案",
                                 services=[{"name": "x", "category": "elderly_child", "tier": "free", "price": "0"}])
    admit(world, stranger, world.node("甲市一区一街"))
    services.admission_blacklist(actor=world.users["street_admin"], admission=stranger.admissions.get(), reason="违规")
    with pytest.raises(PermissionDenied):
        services.interest_submit(actor=ACTOR, offer=offer, operator=stranger, proposal="提案",
                                 services=[{"name": "x", "category": "elderly_child", "tier": "free", "price": "0"}])
