"""What supervision reads of the funds: communities with a fund as a month ends (founding dates
respected, every community counted), and the money their funds raised in the month (the funds'
own income figures, without the district's seed matching)."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from core.measures import MEASURES, Month
from funds import selectors, services
from funds.measures import communities_with_fund, money_raised
from funds.models import IncomeKind

from .conftest import ACTOR, give, seed

pytestmark = pytest.mark.django_db

MARCH = Month(date(2026, 3, 1))
ONE, NOUGHT = Decimal(1), Decimal(0)


def found(world, name: str, founded_on: date, charity: str = "甲市一区慈善会"):
    return services.fund_create(actor=ACTOR, division=world.node(name), host=world.organisations[charity], led_by=f"{name}党委",
                                founded_on=founded_on)


class TestMoneyRaised:
    def test_each_community_fund_counts_what_it_raised_in_the_month_without_the_districts_matching(
            self, world, funds, django_assert_max_num_queries):
        seed(funds.district, "5000.00")  # the district's fund: not a community, and its seed money is not raised
        give(funds.fund, "1000.00", receipt="票据-0301", when=date(2026, 3, 5))  # matched 1:1 by the district (default pack)
        give(funds.fund, "300.50", kind=IncomeKind.MARKET, receipt="", when=date(2026, 3, 31))
        give(funds.fund, "200.00", receipt="票据-0228", when=date(2026, 2, 28))  # the month before
        give(funds.fund, "400.00", receipt="票据-0401", when=date(2026, 4, 1))  # the month after
        assert funds.fund.incomes.filter(kind=IncomeKind.SEED_MATCHING, received_on=date(2026, 3, 5)).get().amount == Decimal("1000.00")
        neighbour = found(world, "甲市一区一街二社", date(2026, 1, 10))
        services.operator_share_post(actor=ACTOR, division=neighbour.division, amount=Decimal("250.00"),
                                     operator=world.organisations["甲市一区一街二社服务中心"], received_on=date(2026, 3, 10),
                                     document="分成-2026-03")
        elsewhere = found(world, "乙市一区一街一社", date(2026, 1, 1), charity="乙市一区慈善会")
        give(elsewhere, "9999.00", receipt="乙票-0001", when=date(2026, 3, 2))

        with django_assert_max_num_queries(3):  # the funds, their monthly totals, their communities: however many there are
            figures = money_raised(world.node("甲市"), MARCH)

        assert figures == {funds.fund.division_id: (Decimal("1300.50"), None), neighbour.division_id: (Decimal("250.00"), None)}
        assert all(str(amount) == f"{amount:.2f}" for amount, _none in figures.values())  # yuan with two places
        assert money_raised(world.node("乙市"), MARCH) == {elsewhere.division_id: (Decimal("9999.00"), None)}
        assert money_raised(world.node("甲市"), Month(date(2026, 2, 1))) == {
            funds.fund.division_id: (Decimal("200.00"), None), neighbour.division_id: (Decimal("0.00"), None)}

    def test_a_months_figure_is_the_public_disclosures_income_less_its_seed_matching(self, world, funds):
        seed(funds.district, "5000.00")
        give(funds.fund, "800.00", receipt="票据-0302", when=date(2026, 3, 2))
        give(funds.fund, "120.00", kind=IncomeKind.TARGETED_DONATION, receipt="票据-0303", purpose="助老", when=date(2026, 3, 3))
        give(funds.fund, "66.60", kind=IncomeKind.MICRO_BUSINESS, receipt="", when=date(2026, 3, 30))
        shown = selectors.disclosure_json(funds.fund)  # every income of the fund came in March
        assert shown["income_by_month"] == [{"month": "2026-03", "amount": Decimal("1906.60")}]

        raised, _none = money_raised(world.node("甲市"), MARCH)[funds.fund.division_id]

        assert raised == shown["income"] - shown["seed_matching"] == Decimal("986.60")

    def test_the_measure_is_a_sum_of_yuan_of_the_month_with_the_funds_pages_behind_it(self, world, funds):
        declared = MEASURES["funds.money_raised"]
        assert (declared.kind, declared.unit, declared.flow) == ("sum", "yuan", True)
        assert declared.records(funds.fund.division, MARCH) == f"/funds/{funds.fund.division.code}/"
        assert declared.records(world.node("甲市一区一街二社"), MARCH) is None  # no fund, no records
        assert declared.records(world.node("甲市一区一街"), MARCH) == "/funds/"


class TestCommunitiesWithAFund:
    def test_every_community_of_the_city_counts_and_a_fund_counts_from_its_founding_month(
            self, world, funds, django_assert_max_num_queries):
        later = found(world, "甲市一区一街二社", date(2026, 3, 31))
        found(world, "乙市一区一街一社", date(2025, 6, 1), charity="乙市一区慈善会")  # another city's
        city = world.node("甲市")
        communities = [d for d in world.divisions.values() if d.level == "community" and d.path.startswith(city.path)]

        with django_assert_max_num_queries(2):  # the funds founded, the communities
            february = communities_with_fund(city, Month(date(2026, 2, 1)))
        march = communities_with_fund(city, MARCH)

        assert set(february) == set(march) == {c.pk for c in communities} and len(communities) == 8
        assert february[later.division_id] == (NOUGHT, ONE)  # founded after February ended
        assert march[later.division_id] == (ONE, ONE)  # founded on March's last day
        assert march[funds.fund.division_id] == february[funds.fund.division_id] == (ONE, ONE)
        assert sum(n for n, _d in february.values()) == 1 and sum(n for n, _d in march.values()) == 2
        assert funds.district.division_id not in march  # a district's fund is not a community's

    def test_the_city_figure_is_the_reach_the_funds_page_shows(self, world, funds):
        found(world, "甲市二区二街二社", date(2026, 5, 20), charity="甲市二区慈善会")
        city = world.node("甲市")

        figures = communities_with_fund(city, Month.of(timezone.localdate()))

        total, _districts = selectors.reach(user=world.users["city_supervisor"], within=city)
        assert (sum(n for n, _d in figures.values()), sum(d for _n, d in figures.values())) == (total.funds, total.communities) == (2, 8)

    def test_a_community_without_a_fund_links_nowhere_and_one_with_a_fund_to_its_page(self, world, funds):
        declared = MEASURES["funds.communities_with_fund"]
        assert (declared.kind, declared.unit, declared.flow) == ("rate", "share", False)
        assert declared.records(funds.fund.division, MARCH) == f"/funds/{funds.fund.division.code}/"
        assert declared.records(world.node("甲市一区二街一社"), MARCH) is None
