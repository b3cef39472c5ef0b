"""Many people spending from one fund at the same moment: exactly what the fund holds goes out."""

import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection

from ledger import selectors, services
from ledger.models import Account, Transaction
from ledger.services import InsufficientFunds

from .helpers import ACTOR, donate, open_books, requires_postgresql

THREADS = 60


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_disbursements_never_overdraw_the_fund(world):
    books = open_books(world)
    donate(books, "1000.00")
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def spend(number: int) -> None:
        try:
            barrier.wait(timeout=60)
            try:
                services.ledger_transfer(
                    actor=ACTOR, kind="disbursement", source=books.fund, destination=books.payee,
                    amount="70.00", source_document=f"支出凭证-{number:02d}",
                )
                outcome = "posted"
            except InsufficientFunds:
                outcome = "insufficient"
            except Exception as error:  # anything else is a failure the assertions below show
                outcome = f"{type(error).__name__}: {error}"
            with lock:
                outcomes.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=spend, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)

    counts = Counter(outcomes)
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
    barrier = threading.Barrier(20)
    opened: list = []
    lock = threading.Lock()

    def ask() -> None:
        try:
            barrier.wait(timeout=60)
            try:
                account = services.account_get_or_open(actor=ACTOR, code="external:payees:race", name="收款方", kind="external",
                                                       division=community)
                outcome = account.pk
            except Exception as error:  # shown by the assertion below
                outcome = f"{type(error).__name__}: {error}"
            with lock:
                opened.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(opened) == 20 and len(set(opened)) == 1, Counter(opened)
    assert Account.objects.filter(code="external:payees:race").count() == 1
