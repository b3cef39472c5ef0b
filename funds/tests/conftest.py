from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from accounts.models import Role
from funds import services
from funds.models import Fund, IncomeKind
from tests.world import make_user

ACTOR = "funds-test"
FOUNDED_ON = date(2025, 1, 1)  # before the dated incomes the tests record


@dataclass
class Funds:
    fund: Fund  # 甲市一区一街一社's fund at 甲市一区慈善会
    district: Fund  # 甲市一区's fund, which holds the seed money
    members: list  # the committee: the world's fund_committee user and two more


@pytest.fixture
def funds(world) -> Funds:
    charity = world.organisations["甲市一区慈善会"]
    community, district = world.node("甲市一区一街一社"), world.node("甲市一区")
    fund = services.fund_create(actor=ACTOR, division=community, host=charity, led_by="一社社区党委", founding_document="慈字〔2026〕1号",
                                founded_on=FOUNDED_ON)
    district_fund = services.fund_create(actor=ACTOR, division=district, host=charity, led_by="一区社会工作部",
                                         name="一区社会治理基金", founded_on=FOUNDED_ON)
    members = [world.users["fund_committee"], make_user("weiyuan_b", role=Role.FUND_COMMITTEE, division=community),
               make_user("weiyuan_c", role=Role.FUND_COMMITTEE, division=community)]
    for n, (user, side) in enumerate(zip(members, ["party", "residents", "donors"], strict=True)):
        services.member_add(actor=ACTOR, fund=fund, user=user, side=side, is_chair=n == 0)
    return Funds(fund=fund, district=district_fund, members=members)


def give(fund: Fund, amount, *, kind=IncomeKind.PUBLIC_DONATION, receipt="票据-0001", donor="张三", when=None, **extra):
    from django.utils import timezone

    return services.income_record(actor=ACTOR, fund=fund, kind=kind, amount=Decimal(amount), donor_name=donor,
                                  received_on=when or timezone.localdate(), receipt_no=receipt, **extra)


def seed(district: Fund, amount) -> None:
    give(district, amount, kind=IncomeKind.APPROPRIATION, donor="一区财政局", receipt="", donor_kind="government")


def approved_project(world, funds: Funds, *, budget="10000.00"):
    """A project the committee passed and the charity approved."""
    worker = world.users["community_worker"]
    project = services.project_propose(actor=worker, fund=funds.fund, title="老旧小区车棚修缮", kind="micro_renovation",
                                       budget=budget, beneficiaries="3号楼至8号楼居民", beneficiary_count=260, plan="修缮车棚，加装充电桩。")
    for member in funds.members:
        services.project_vote(actor=member, project=project, choice="yes", comment="同意")
    services.project_apply(actor=worker, project=project)
    return services.project_decide(actor=world.users["charity_staff"], project=project, approve=True, note="同意拨付")
