"""Fixtures of community governance: departments of 甲市一区, its list of three affairs, a five-party project."""

import datetime
from decimal import Decimal

import pytest

from governance import services
from governance.services import AffairRow, Contribution
from org import services as org_services
from org.models import OrganisationKind

ACTOR = "test"


@pytest.fixture
def departments(world):
    district = world.node("甲市一区")
    made = {}
    for name in ("甲市一区民政局", "甲市一区卫生健康局", "甲市一区人力资源和社会保障局"):
        made[name] = org_services.organisation_create(actor=ACTOR, name=name, kind=OrganisationKind.DEPARTMENT,
                                                      home_division=district, served_divisions=[district])
    made["乙市一区民政局"] = org_services.organisation_create(
        actor=ACTOR, name="乙市一区民政局", kind=OrganisationKind.DEPARTMENT, home_division=world.node("乙市一区"),
        served_divisions=[world.node("乙市一区")])
    return made


@pytest.fixture
def affair_list(world, departments):
    district = world.node("甲市一区")
    rows = [
        AffairRow("最低生活保障申请受理及入户调查", "host", "《社会救助暂行办法》第十一条", departments["甲市一区民政局"]),
        AffairRow("高龄津贴申领初审", "host", "《福建省老年人权益保障条例》", departments["甲市一区民政局"]),
        AffairRow("家庭医生签约服务宣传", "assist", "《关于推进家庭医生签约服务的指导意见》", departments["甲市一区卫生健康局"]),
    ]
    return services.affair_list_replace(actor=ACTOR, district=district, rows=rows, effective_on=datetime.date(2026, 1, 1))


def five_parties(world, fund=None):
    operator = world.organisations["甲市一区一街一社服务中心"]
    charity = world.organisations["甲市一区慈善会"]
    return [
        Contribution("community", people="一社党委", hours=Decimal("20")),
        Contribution("social_org", organisation=operator, money=Decimal("5000.00")),
        Contribution("social_worker", people="张社工、李社工", hours=Decimal("40")),
        Contribution("volunteers", headcount=12, hours=Decimal("96.5")),
        Contribution("charity", organisation=charity, fund=fund, money=Decimal("20000.00")),
    ]
