"""Space for service in the test world: 甲市一区一街一社 has a state-owned centre, a village-collective
room and a mixed-property room; its service centre (the world's operator) is admitted by 甲市一区一街."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from operations import services
from operations.models import Admission, Agreement
from org.models import Organisation
from registry import services as registry_services
from registry.hours import parse_hours
from registry.models import Room

ACTOR = "operations-test"
CHECKLIST_ALL_MET = {code: {"met": True, "note": ""} for code in
                     ("licence", "scope", "special_permits", "credit", "safety", "track_record", "pricing")}


@dataclass
class Ops:
    community: object
    street: object
    operator: Organisation
    admission: Admission
    hall: Room  # state-owned (行政事业性国有资产)
    barn: Room  # village collective
    annex: Room  # mixed: 60 % state, 40 % collective


def make_site_room(community, *, name, property_class, room_name, **extra):
    site = registry_services.site_create(
        actor=ACTOR, division=community, name=name, kind=extra.pop("kind", "party_mass_centre"), floor_area=Decimal("800"),
        property_class=property_class, property_source="street_owned", opening_hours=parse_hours("每天 08:00-21:00"), **extra)
    return registry_services.room_create(actor=ACTOR, site=site, name=room_name, area=Decimal("120"), capacity=40)


def admit(world, operator, street):
    services.qualification_add(actor=ACTOR, operator=operator, kind="business_licence", number=f"LIC-{operator.pk}")
    admission = services.admission_apply(actor=world.users["operator_staff"], operator=operator, division=street,
                                         categories=["elderly_child", "food_recreation"], scope_description="托育、助餐、文体课程")
    return services.admission_review(actor=world.users["street_admin"], admission=admission, admit=True,
                                     checklist=CHECKLIST_ALL_MET, valid_from=timezone.localdate() - timedelta(days=400))


@pytest.fixture
def ops(world) -> Ops:
    community, street = world.node("甲市一区一街一社"), world.node("甲市一区一街")
    operator = world.organisations["甲市一区一街一社服务中心"]
    return Ops(community=community, street=street, operator=operator, admission=admit(world, operator, street),
               hall=make_site_room(community, name="党群服务中心", property_class="state_admin", room_name="多功能厅"),
               barn=make_site_room(community, name="村集体活动楼", property_class="village_collective", room_name="活动室"),
               annex=make_site_room(community, name="综合楼", property_class="mixed", room_name="二楼教室",
                                    state_share=Decimal("60"), collective_share=Decimal("40")))


GOOD_TERMS = {
    "title": "多功能厅托育与助餐合作", "mode": "co_operated", "annual_rent": "12000", "operator_renovation_cost": "600000",
    "operator_running_cost": "200000", "public_benefit_share": "0.7", "basis_kind": "joint_meeting",
    "basis_number": "一街联席〔2026〕3号", "basis_date": "2026-01-10", "revenue_distribution": "低偿收入的10%注入社区发展基金",
    "valuation_report_no": "评估〔2026〕12号", "authorised_by": "一区机关事务管理局", "authorisation_document": "一区机管〔2026〕8号",
}
MONDAY_MORNING = [{"weekday": 1, "start": "09:00", "end": "12:00"}]
SERVICES = [
    {"name": "四点半课堂", "category": "elderly_child", "tier": "free", "price": "0", "capacity": 30},
    {"name": "长者助餐", "category": "food_recreation", "tier": "low_cost", "price": "12", "price_unit": "meal",
     "market_price": "25", "capacity": 60},
    {"name": "少儿美术", "category": "elderly_child", "tier": "market", "price": "120", "capacity": 15},
]
SHARES = [{"tier": "low_cost", "percent": "5"}, {"tier": "market", "percent": "10"}]


def draft(world, ops, *, room=None, hours=None, starts_on=None, ends_on=None, terms=None, services_=None, shares=None,
          actor=None) -> Agreement:
    starts_on = starts_on or timezone.localdate() - timedelta(days=120)
    return services.agreement_draft(
        actor=actor or world.users["community_worker"], division=ops.community, operator=ops.operator,
        terms={**GOOD_TERMS, "starts_on": starts_on, "ends_on": ends_on or starts_on + timedelta(days=730), **(terms or {})},
        spaces=[{"room": (room or ops.hall).pk, "hours": hours or MONDAY_MORNING}],
        services=SERVICES if services_ is None else services_, shares=SHARES if shares is None else shares)


def in_force(world, ops, **kwargs) -> Agreement:
    """An agreement approved on its first day, so its rooms are held at the agreed hours for the whole
    term, the months already reported included."""
    agreement = draft(world, ops, **kwargs)
    services.agreement_submit(actor=world.users["community_worker"], agreement=agreement)
    first_day = datetime.combine(agreement.starts_on, time.min, tzinfo=timezone.get_current_timezone())
    return services.agreement_approve(actor=world.users["street_admin"], agreement=agreement, note="同意", now=first_day)


def last_month() -> date:
    return (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)


# A month of the Monday-morning agreement: four sessions fit its four or five mornings (three hours each) in any month.
FIGURES = {"revenue_low_cost": "8000", "revenue_market": "6000", "operating_cost": "20000", "sessions_free": 2,
           "sessions_low_cost": 1, "sessions_market": 1, "people_free": 300, "people_low_cost": 420, "people_market": 48}


def records_bookings(world, ops) -> None:
    """The community records its bookings: its hall was booked for a morning two days ago (so its rooms
    have usage rates, and the unbooked ones count as idle)."""
    from scheduling.services import booking_create
    from scheduling.tests.conftest import at

    booking_create(actor=world.users["community_worker"], room=ops.hall, start=at(-2, 9), end=at(-2, 12), title="议事会",
                   now=at(-3, 9))
