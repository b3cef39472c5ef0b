"""Many people spending from one fund at the same moment: exactly what the fund holds goes out."""

from decimal import Decimal

import pytest

from ledger import selectors, services
from ledger.models import Account, Transaction
from ledger.services import InsufficientFunds
from tests.concurrency import race

from .helpers import ACTOR, donate, open_books, requires_postgresql

THREADS = 60


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_disbursements_never_overdraw_the_fund(world):
    books = open_books(world)
    donate(books, "1000.00")

    def spend(number: int):
        def job() -> str:
            try:
                services.ledger_transfer(
                    actor=ACTOR, kind="disbursement", source=books.fund, destination=books.payee,
                    amount="70.00", source_document=f"支出凭证-{number:02d}",
                )
                return "posted"
            except InsufficientFunds:
                return "insufficient"
        return job

    counts = race([spend(n) for n in range(THREADS)])
    assert counts == {"posted": 14, "insufficient": 46}, counts
    fund = Account.objects.get(pk=books.fund.pk)
    payee = Account.objects.get(pk=books.payee.pk)
    assert fund.balance == Decimal("20.00") == selectors.balance_from_legs(fund)
    assert fund.balance >= 0
    assert payee.balance == Decimal("980.00") == selectors.balance_from_legs(payee)
    assert Transaction.objects.filter(kind="disbursement", legs__account=books.fund).count() == 14
    assert not selectors.accounts_unreconciled(Account.objects.all()).exists()


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_an_account_asked_for_by_many_postings_at_once_is_opened_once(world):
    community = world.node("甲市一区一街一社")

    def ask() -> int:
        return services.account_get_or_open(actor=ACTOR, code="external:payees:race", name="收款方", kind="external",
                                            division=community).pk

    opened = race([ask] * 20)
    assert opened.total() == 20 and len(opened) == 1, opened
    assert Account.objects.filter(code="external:payees:race").count() == 1
