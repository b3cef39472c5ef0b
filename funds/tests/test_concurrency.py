"""Sixty instalments of sixty projects paid from one fund at the same moment: the fund pays what it holds, no more."""

from decimal import Decimal

import pytest

from funds import services
from funds.models import Disbursement, Project
from ledger.models import Account
from ledger.selectors import balance_from_legs
from ledger.services import InsufficientFunds
from tests.concurrency import race, requires_postgresql

from .conftest import approved_project, give

THREADS = 60


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_disbursements_never_overdraw_the_fund(world, funds):
    give(funds.fund, "1000.00")
    projects = [approved_project(world, funds, budget="300.00") for _ in range(THREADS)]
    charity = world.users["charity_staff"]

    def pay(project: Project, number: int):
        def job() -> str:
            try:
                services.project_disburse(actor=charity, project=project, amount="70.00", payee="施工单位", document=f"付-{number:02d}")
                return "paid"
            except InsufficientFunds:
                return "insufficient"
        return job

    outcomes = race([pay(project, n) for n, project in enumerate(projects)])
    assert outcomes == {"paid": 14, "insufficient": 46}, outcomes
    account = Account.objects.get(pk=funds.fund.account_id)
    assert account.balance == Decimal("20.00") == balance_from_legs(account) and account.balance >= 0
    assert Disbursement.objects.filter(project__in=projects).count() == 14
    assert sorted(Project.objects.filter(pk__in=[p.pk for p in projects]).values_list("disbursed", flat=True)) == [Decimal("0.00")] * 46 + [Decimal("70.00")] * 14
