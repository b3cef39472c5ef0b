import datetime
import random
from decimal import Decimal

import pytest

from ledger import selectors, services
from ledger.models import Account
from ledger.services import InsufficientFunds

from .helpers import ACTOR, disburse, donate

D = datetime.date


@pytest.mark.django_db
class TestBalances:
    def test_an_account_without_legs_has_nothing(self, books):
        assert selectors.balance_from_legs(books.fund) == Decimal("0.00")
        assert selectors.balances(Account.objects.filter(pk=books.fund.pk)) == {books.fund.pk: Decimal("0.00")}

    def test_stored_balances_equal_the_sum_of_the_legs_after_many_postings(self, books, world):
        rng = random.Random(20260301)
        accounts = [books.fund, books.earmarked, books.donor, books.payee, books.budget]
        posted = refused = 0
        for number in range(300):
            source, destination = rng.sample(accounts, 2)
            amount = Decimal(rng.randint(1, 50_000)) / 100  # fen, like 0.10 and 0.20
            try:
                services.ledger_transfer(actor=ACTOR, kind="transfer", source=source, destination=destination,
                                         amount=amount, source_document=f"凭证-{number}")
                posted += 1
            except InsufficientFunds:
                refused += 1
            if number % 40 == 39:
                last = services.ledger_post(
                    actor=ACTOR, kind="seed_matching", source_document=f"决定-{number}",
                    legs=[(books.budget, "-0.30"), (books.fund, "0.10"), (books.earmarked, "0.20")],
                )
                services.ledger_reverse(actor=ACTOR, transaction=last, reason="测试冲销")
        assert posted > 100 and refused > 0  # both paths were taken

        every = Account.objects.filter(pk__in=[a.pk for a in accounts])
        stored = dict(every.values_list("pk", "balance"))
        assert selectors.balances(every) == stored
        assert all(selectors.balance_from_legs(a) == stored[a.pk] for a in accounts)
        assert sum(stored.values()) == Decimal("0.00")  # double entry: money is only ever moved
        assert stored[books.fund.pk] >= 0 and stored[books.earmarked.pk] >= 0
        assert not selectors.accounts_unreconciled(every).exists()

    def test_balances_of_many_accounts_take_one_query(self, books, django_assert_num_queries):
        donate(books, "10.00")
        with django_assert_num_queries(1):
            result = selectors.balances(Account.objects.all())
        assert result[books.fund.pk] == Decimal("10.00")
        assert result[books.donor.pk] == Decimal("-10.00")
        assert result[books.budget.pk] == Decimal("0.00")

    def test_a_tampered_balance_shows_as_unreconciled(self, books):
        donate(books, "10.00")
        Account.objects.filter(pk=books.fund.pk).update(balance=Decimal("11.00"))
        assert list(selectors.accounts_unreconciled(Account.objects.all())) == [books.fund]


@pytest.mark.django_db
class TestAccountStatement:
    def _post(self, books, day, amount, kind="donation"):
        source, destination = (books.donor, books.fund) if kind == "donation" else (books.fund, books.payee)
        return services.ledger_transfer(actor=ACTOR, kind=kind, source=source, destination=destination,
                                        amount=amount, source_document=f"{kind}-{day}", occurred_on=day)

    def test_lines_carry_a_running_balance_in_date_order(self, books):
        self._post(books, D(2026, 3, 5), "100.00")
        self._post(books, D(2026, 3, 9), "30.00", "disbursement")
        self._post(books, D(2026, 3, 1), "50.00")  # entered late, dated earlier
        statement = selectors.account_statement(account=books.fund)
        assert [(line.leg.transaction.occurred_on, line.amount, line.balance) for line in statement.lines] == [
            (D(2026, 3, 1), Decimal("50.00"), Decimal("50.00")),
            (D(2026, 3, 5), Decimal("100.00"), Decimal("150.00")),
            (D(2026, 3, 9), Decimal("-30.00"), Decimal("120.00")),
        ]
        books.fund.refresh_from_db()
        assert statement.opening_balance == Decimal("0.00")
        assert statement.closing_balance == books.fund.balance == Decimal("120.00")
        assert (statement.money_in, statement.money_out) == (Decimal("150.00"), Decimal("30.00"))

    def test_a_period_starts_from_the_balance_before_it(self, books):
        self._post(books, D(2026, 2, 20), "80.00")
        self._post(books, D(2026, 3, 5), "100.00")
        self._post(books, D(2026, 3, 31), "40.00", "disbursement")
        self._post(books, D(2026, 4, 2), "5.00")
        statement = selectors.account_statement(account=books.fund, since=D(2026, 3, 1), until=D(2026, 3, 31))
        assert statement.opening_balance == Decimal("80.00")
        assert [line.balance for line in statement.lines] == [Decimal("180.00"), Decimal("140.00")]
        assert statement.closing_balance == Decimal("140.00")

    def test_an_empty_period_keeps_its_opening_balance(self, books):
        self._post(books, D(2026, 2, 20), "80.00")
        statement = selectors.account_statement(account=books.fund, since=D(2026, 3, 1))
        assert statement.lines == [] and statement.closing_balance == Decimal("80.00")

    def test_reversals_appear_on_the_statement(self, books):
        donation = donate(books, "25.00")
        services.ledger_reverse(actor=ACTOR, transaction=donation, reason="错账")
        statement = selectors.account_statement(account=books.fund)
        assert [line.leg.transaction.kind for line in statement.lines] == ["donation", "reversal"]
        assert statement.closing_balance == Decimal("0.00")

    def test_statement_takes_two_queries_with_a_period(self, books, django_assert_num_queries):
        for _ in range(5):
            donate(books, "1.00")
        disburse(books, "2.00")
        with django_assert_num_queries(2):
            statement = selectors.account_statement(account=books.fund, since=D(2000, 1, 1))
            assert [line.leg.transaction.kind for line in statement.lines][-1] == "disbursement"
