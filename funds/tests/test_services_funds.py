from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from core.errors import Conflict, PermissionDenied, ValidationFailed
from funds import selectors, services
from funds.models import ZERO, Income, IncomeKind, Project, ProjectStatus, Vote
from ledger.models import Leg, MonthTotal, Transaction
from ledger.selectors import accounts_unreconciled, month_totals_unreconciled
from ledger.services import InsufficientFunds
from tests.world import make_user

from .conftest import ACTOR, approved_project, give, seed

pytestmark = pytest.mark.django_db


def written():
    return Transaction.objects.count(), Leg.objects.count(), Income.objects.count(), Project.objects.count(), Vote.objects.count()


class TestFounding:
    def test_a_fund_is_a_sub_account_at_a_charity(self, funds):
        assert funds.fund.account.kind == "fund" and funds.fund.account.organisation == funds.fund.host
        assert funds.fund.name == "甲市一区一街一社社区发展基金"

    def test_a_funds_name_is_its_official_chinese_name_whatever_language_the_clerk_reads(self, world):
        from django.utils import translation

        with translation.override("en"):
            fund = services.fund_create(actor=ACTOR, division=world.node("甲市一区一街二社"),
                                        host=world.organisations["甲市一区慈善会"], led_by="二社党委")
        assert fund.name == fund.account.name == "甲市一区一街二社社区发展基金"

    def test_only_a_charity_with_public_fundraising_hosts_and_once_per_community(self, world, funds):
        operator = world.organisations["甲市一区一街一社服务中心"]
        with pytest.raises(ValidationFailed):
            services.fund_create(actor=ACTOR, division=world.node("甲市一区一街二社"), host=operator, led_by="二社党委")
        with pytest.raises(Conflict):
            services.fund_create(actor=ACTOR, division=funds.fund.division, host=funds.fund.host, led_by="一社党委")

    def test_the_founding_date_is_the_one_given_and_never_in_the_future(self, world):
        charity, community = world.organisations["甲市一区慈善会"], world.node("甲市一区一街二社")
        tomorrow = timezone.localdate() + timedelta(days=1)
        with pytest.raises(ValidationFailed) as refused:
            services.fund_create(actor=ACTOR, division=community, host=charity, led_by="二社党委", founded_on=tomorrow)
        assert str(refused.value.fields["founded_on"][0]) == "基金设立日期不能晚于今天。"
        assert not type(charity).objects.filter(hosted_funds__division=community).exists()
        fund = services.fund_create(actor=ACTOR, division=community, host=charity, led_by="二社党委", founded_on=date(2024, 6, 18))
        assert fund.founded_on == date(2024, 6, 18)
        assert AuditEvent.objects.get(action="funds.fund.created", target_id=str(fund.pk)).changes["founded_on"] == "2024-06-18"

    def test_committee_members_get_the_committee_role(self, funds):
        assert all(m.role_assignments.filter(role="fund_committee", division=funds.fund.division).exists() for m in funds.members)


class TestIncome:
    def test_a_donation_is_a_ledger_transaction_with_its_receipt(self, funds):
        income = give(funds.fund, "500.00", receipt="浙慈票-2026-000123", anonymous=True)
        funds.fund.account.refresh_from_db()
        assert funds.fund.account.balance == Decimal("500.00")
        assert income.transaction.source_document == "浙慈票-2026-000123" and income.transaction.kind == IncomeKind.PUBLIC_DONATION
        assert income.public_donor == "匿名捐赠人"

    @pytest.mark.parametrize("change, field", [
        ({"amount": "0"}, "amount"), ({"amount": "-5"}, "amount"), ({"amount": "1.234"}, "amount"),
        ({"receipt": ""}, "receipt_no"), ({"kind": IncomeKind.TARGETED_DONATION}, "purpose"),
        ({"when": timezone.localdate() + timedelta(days=1)}, "received_on"), ({"kind": IncomeKind.SEED_MATCHING}, "kind"),
    ])
    def test_bad_income_is_refused_and_writes_nothing(self, funds, change, field):
        before = written()
        amount = change.pop("amount", "100.00")
        with pytest.raises(ValidationFailed) as refused:
            give(funds.fund, amount, **change)
        assert field in refused.value.fields and written() == before

    def test_income_dated_before_the_fund_was_founded_is_refused_and_writes_nothing(self, funds):
        from .conftest import FOUNDED_ON

        before = written()
        with pytest.raises(ValidationFailed) as refused:
            give(funds.fund, "100.00", when=FOUNDED_ON - timedelta(days=1))
        assert str(refused.value.fields["received_on"][0]) == "基金设立于2025-01-01，收入日期不能早于设立日期。"
        assert written() == before
        assert give(funds.fund, "100.00", when=FOUNDED_ON).received_on == FOUNDED_ON  # the founding day itself is fine

    def test_the_district_matches_eligible_income_up_to_the_yearly_cap(self, funds):
        seed(funds.district, "100000.00")
        give(funds.fund, "30000.00", receipt="票据-1")
        give(funds.fund, "30000.00", receipt="票据-2")  # the cap (50,000 a year) leaves 20,000 to match
        give(funds.fund, "5000.00", kind=IncomeKind.MARKET, receipt="", donor="睦邻集市")  # not an eligible kind
        matches = list(Income.objects.filter(fund=funds.fund, kind=IncomeKind.SEED_MATCHING).order_by("id"))
        assert [m.amount for m in matches] == [Decimal("30000.00"), Decimal("20000.00")]
        assert matches[0].matches.receipt_no == "票据-1"
        funds.fund.account.refresh_from_db(), funds.district.account.refresh_from_db()
        assert funds.fund.account.balance == Decimal("115000.00") and funds.district.account.balance == Decimal("50000.00")
        assert services.matched_this_year(funds.fund, timezone.localdate().year) == Decimal("50000.00")

    def test_matching_stops_at_what_the_district_has(self, funds):
        seed(funds.district, "800.00")
        give(funds.fund, "1000.00")
        assert Income.objects.get(kind=IncomeKind.SEED_MATCHING).amount == Decimal("800.00")
        give(funds.fund, "1000.00", receipt="票据-0002")
        assert Income.objects.filter(kind=IncomeKind.SEED_MATCHING).count() == 1  # nothing left to match with

    def test_operator_revenue_share_goes_in_through_one_service(self, world, funds):
        income = services.operator_share_post(actor=ACTOR, division=funds.fund.division, amount="1200.00",
                                              operator=world.organisations["甲市一区一街一社服务中心"], received_on=timezone.localdate(),
                                              document="运营月报-2026-10")
        assert income.kind == IncomeKind.OPERATOR_SHARE and income.transaction.source_document == "运营月报-2026-10"

    def test_a_share_for_a_place_without_a_fund_is_held_and_posted_when_the_fund_is_founded(self, world, funds):
        from funds.models import HeldShare
        from ledger.models import Account

        operator, place = world.organisations["甲市一区一街一社服务中心"], world.node("甲市一区一街二社")
        for n, amount in enumerate(["1.00", "250.50"], start=1):
            held = services.operator_share_post(actor=ACTOR, division=place, amount=amount, operator=operator,
                                                received_on=date(2026, n, 10), document=f"运营月报-2026-0{n}")
            assert isinstance(held, HeldShare) and held.transaction.kind == IncomeKind.OPERATOR_SHARE
        account = Account.objects.get(code=f"held:{place.code}")
        assert account.kind == "earmarked" and account.balance == Decimal("251.50") and account.division == place
        fund = services.fund_create(actor=ACTOR, division=place, host=funds.fund.host, led_by="二社党委", founded_on=date(2026, 1, 20))
        incomes = list(fund.incomes.order_by("received_on"))
        assert [(i.amount, i.received_on, i.donor_name) for i in incomes] == [
            (Decimal("1.00"), date(2026, 1, 20), operator.name), (Decimal("250.50"), date(2026, 2, 10), operator.name)]
        account.refresh_from_db(), fund.account.refresh_from_db()
        assert account.balance == ZERO and fund.account.balance == Decimal("251.50")
        assert not HeldShare.objects.filter(income__isnull=True).exists()
        assert selectors.fund_figures([fund])[fund.pk].by_kind == {IncomeKind.OPERATOR_SHARE: Decimal("251.50")}
        # Once the fund is there, the next share goes straight in.
        income = services.operator_share_post(actor=ACTOR, division=place, amount="9.00", operator=operator,
                                              received_on=timezone.localdate(), document="运营月报-2026-11")
        assert income.fund == fund and not HeldShare.objects.filter(source_document="运营月报-2026-11").exists()

    def test_monthly_totals_equal_the_legs_and_reversals_count_against_their_kind(self, funds):
        from ledger.services import ledger_reverse

        seed(funds.district, "10000.00")
        give(funds.fund, "100.00", when=date(2026, 1, 5))
        mistaken = give(funds.fund, "300.00", receipt="票据-9", when=date(2026, 2, 1))
        ledger_reverse(actor=ACTOR, transaction=mistaken.transaction, reason="重复录入")
        assert month_totals_unreconciled(type(funds.fund.account).objects.all()) == []
        assert accounts_unreconciled(type(funds.fund.account).objects.all()).count() == 0
        # The reversal counts in its own month, against the kind it reverses.
        totals = dict(MonthTotal.objects.filter(account=funds.fund.account, kind=IncomeKind.PUBLIC_DONATION)
                      .values_list("month", "amount"))
        assert totals[date(2026, 2, 1)] == Decimal("300.00") and totals[timezone.localdate().replace(day=1)] == Decimal("-300.00")
        assert sum(totals.values()) == Decimal("100.00")


class TestProjects:
    def propose(self, world, funds, **extra):
        data = {"title": "重阳节走访慰问", "kind": "visits", "budget": "6000.00", "beneficiaries": "80岁以上独居老人",
                "plan": "走访并送慰问品。"} | extra
        return services.project_propose(actor=world.users["community_worker"], fund=funds.fund, **data)

    def test_the_whole_way_from_proposal_to_completion(self, world, funds):
        give(funds.fund, "20000.00")
        project = approved_project(world, funds, budget="10000.00")
        charity = world.users["charity_staff"]
        services.project_disburse(actor=charity, project=project, amount="6000.00", payee="某某建筑公司", document="付-001")
        services.project_disburse(actor=charity, project=project, amount="4000.00", payee="某某建筑公司", document="付-002")
        worker = world.users["community_worker"]
        with pytest.raises(Conflict):  # nothing evidenced yet
            services.project_complete(actor=worker, project=project, report="已完成")
        services.evidence_add(actor=worker, project=project, description="车棚材料与施工", amount="10000.00", invoice_no="发票-778")
        project = services.project_complete(actor=worker, project=project, report="车棚修缮完成，加装充电桩12个。")
        assert project.status == ProjectStatus.COMPLETED and project.disbursed == Decimal("10000.00")
        funds.fund.account.refresh_from_db()
        assert funds.fund.account.balance == Decimal("10000.00")
        actions = set(AuditEvent.objects.filter(action__startswith="funds.project").values_list("action", flat=True))
        assert {"funds.project.proposed", "funds.project.voted", "funds.project.reviewed", "funds.project.applied",
                "funds.project.approved", "funds.project.disbursed", "funds.project.evidenced", "funds.project.completed"} <= actions

    def test_a_committee_under_three_cannot_review(self, world, funds):
        services.member_remove(actor=ACTOR, member=funds.fund.members.get(user=funds.members[2]))
        with pytest.raises(Conflict, match="至少"):
            self.propose(world, funds)

    def test_refused_votes_write_nothing(self, world, funds):
        project = self.propose(world, funds)
        outsider = make_user("jumin_x", role="fund_committee", division=world.node("甲市一区一街一社"))
        services.project_vote(actor=funds.members[0], project=project, choice="yes", comment="同意")
        before = written()
        with pytest.raises(PermissionDenied):
            services.project_vote(actor=outsider, project=project, choice="yes", comment="同意")
        with pytest.raises(Conflict):
            services.project_vote(actor=funds.members[0], project=project, choice="no", comment="改主意")
        with pytest.raises(ValidationFailed):
            services.project_vote(actor=funds.members[1], project=project, choice="yes", comment=" ")
        assert written() == before

    def test_the_proposer_recuses(self, world, funds):
        project = services.project_propose(actor=funds.members[0], fund=funds.fund, title="亲子活动", kind="events",
                                           budget="800.00", beneficiaries="社区儿童", plan="周末亲子游园。")
        with pytest.raises(PermissionDenied):
            services.project_vote(actor=funds.members[0], project=project, choice="yes", comment="同意")
        services.project_vote(actor=funds.members[0], project=project, choice="recused", comment="本人为提案人")
        services.project_vote(actor=funds.members[1], project=project, choice="yes", comment="同意")
        project = services.project_vote(actor=funds.members[2], project=project, choice="no", comment="预算偏高").project
        project.refresh_from_db()
        # One recused: two may vote, one for and one against is not more than half.
        assert project.status == ProjectStatus.REJECTED

    def test_quorum_before_the_review_can_close_and_no_vote_after(self, world, funds):
        project = self.propose(world, funds)
        services.project_vote(actor=funds.members[0], project=project, choice="yes", comment="同意")
        with pytest.raises(Conflict, match="法定"):
            services.project_review_close(actor=world.users["community_worker"], project=project)
        services.project_vote(actor=funds.members[1], project=project, choice="yes", comment="同意")
        project = services.project_review_close(actor=world.users["community_worker"], project=project)
        assert project.status == ProjectStatus.ENDORSED
        with pytest.raises(Conflict):
            services.project_vote(actor=funds.members[2], project=project, choice="no", comment="迟到的反对")

    def test_the_charity_decides_and_not_the_proposing_side(self, world, funds):
        project = self.propose(world, funds)
        for member in funds.members:
            services.project_vote(actor=member, project=project, choice="yes", comment="同意")
        with pytest.raises(Conflict):  # not applied yet
            services.project_decide(actor=world.users["charity_staff"], project=project, approve=True)
        services.project_apply(actor=world.users["community_worker"], project=project)
        both = make_user("both_sides", role="charity_staff", organisation=funds.fund.host)
        from accounts.services import role_assign
        role_assign(actor=ACTOR, user=both, role="community_worker", division=funds.fund.division)
        with pytest.raises(PermissionDenied):
            services.project_decide(actor=both, project=project, approve=True)
        with pytest.raises(ValidationFailed):  # a return says why
            services.project_decide(actor=world.users["charity_staff"], project=project, approve=False)
        project = services.project_decide(actor=world.users["charity_staff"], project=project, approve=False, note="请补充报价单")
        assert project.status == ProjectStatus.RETURNED
        assert services.project_apply(actor=world.users["community_worker"], project=project).status == ProjectStatus.APPLIED

    def test_a_payment_beyond_the_balance_or_the_budget_is_refused_and_writes_nothing(self, world, funds):
        give(funds.fund, "3000.00")
        project = approved_project(world, funds, budget="10000.00")
        before = written()
        with pytest.raises(InsufficientFunds):
            services.project_disburse(actor=world.users["charity_staff"], project=project, amount="3000.01", payee="某公司", document="付-1")
        with pytest.raises(ValidationFailed):
            services.project_disburse(actor=world.users["charity_staff"], project=project, amount="10000.01", payee="某公司", document="付-1")
        with pytest.raises(ValidationFailed):
            services.project_disburse(actor=world.users["charity_staff"], project=project, amount="0", payee="某公司", document="付-1")
        assert written() == before
        project.refresh_from_db()
        assert project.status == ProjectStatus.APPROVED and project.disbursed == 0

    def test_a_withdrawn_project_takes_no_more_steps(self, world, funds):
        project = self.propose(world, funds)
        services.project_withdraw(actor=world.users["community_worker"], project=project, reason="需求已由其他项目满足")
        with pytest.raises(Conflict):
            services.project_apply(actor=world.users["community_worker"], project=project)


class TestReadingFunds:
    def test_figures_disclosure_and_reach(self, world, funds):
        seed(funds.district, "5000.00")
        give(funds.fund, "1000.00", donor="李四", anonymous=True)
        give(funds.fund, "200.00", kind=IncomeKind.MARKET, receipt="", donor="睦邻集市")
        fund = selectors.public_fund_get(code=funds.fund.division.code)
        figures = selectors.fund_figures([fund])[fund.pk]
        assert figures.by_kind == {"public_donation": Decimal("1000.00"), "seed_matching": Decimal("1000.00"),
                                   "market": Decimal("200.00")}
        assert figures.balance == figures.income == Decimal("2200.00")
        shown = selectors.disclosure_json(fund)
        assert {d["name"] for d in shown["donors"]} == {"匿名捐赠人", "睦邻集市"}
        total, streets = selectors.reach(user=world.users["supervisor"], within=world.node("甲市一区"))
        assert (total.communities, total.funds, total.balance) == (4, 1, Decimal("2200.00"))
        assert [(r.division.name, r.funds) for r in streets] == [("甲市一区一街", 1), ("甲市一区二街", 0)]
