import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.utils import DatabaseError
from django.utils import translation

from audit.models import AuditEvent
from core.errors import Conflict, ValidationFailed
from ledger import services
from ledger.models import Account, AppendOnlyError, Leg, Transaction
from ledger.services import InsufficientFunds, to_yuan

from .helpers import ACTOR, Books, disburse, donate, requires_postgresql


def written(books: Books) -> tuple:
    """Everything a posting writes, to show that a refused one wrote nothing."""
    books.refresh()
    return (
        Transaction.objects.count(), Leg.objects.count(), AuditEvent.objects.count(),
        books.fund.balance, books.earmarked.balance, books.donor.balance, books.payee.balance, books.budget.balance,
    )


class TestToYuan:
    @pytest.mark.parametrize("value, expected", [
        ("12", "12.00"), ("12.5", "12.50"), (" 1200.50 ", "1200.50"), ("1.500", "1.50"), (7, "7.00"),
        (Decimal("0.01"), "0.01"), ("-3.20", "-3.20"),
    ])
    def test_accepts_strings_ints_and_decimals(self, value, expected):
        amount = to_yuan(value)
        assert amount == Decimal(expected) and str(amount) == expected

    @pytest.mark.parametrize("value", [0.1, 12.0, True, None, "abc", "", "1,000", "NaN", "Infinity", Decimal("NaN")])
    def test_refuses_floats_and_non_numbers(self, value):
        with pytest.raises(ValidationFailed) as refused:
            to_yuan(value)
        assert "amount" in refused.value.fields

    @pytest.mark.parametrize("value", ["10.005", Decimal("0.001"), "1e-3"])
    def test_refuses_anything_finer_than_a_fen(self, value):
        with translation.override("en"):
            with pytest.raises(ValidationFailed) as refused:
                to_yuan(value)
            assert "two decimal places" in str(refused.value.fields["amount"][0])


@pytest.mark.django_db
class TestAccountOpen:
    def test_only_external_accounts_may_go_negative(self, books):
        assert not books.fund.allow_negative
        assert not books.earmarked.allow_negative
        assert books.donor.allow_negative and books.budget.allow_negative
        assert books.fund.balance == Decimal("0.00")

    def test_opening_is_audited(self, books):
        event = AuditEvent.objects.get(action="ledger.account.opened", target_id=str(books.fund.pk))
        assert event.division == books.fund.division
        assert event.organisation == books.fund.organisation
        assert event.changes["code"] == books.fund.code
        assert event.changes["allow_negative"] is False

    def test_refuses_a_code_in_use(self, books, world):
        with pytest.raises(Conflict):
            services.account_open(actor=ACTOR, code=books.fund.code, name="重复", kind="fund",
                                  division=world.node("甲市一区一街二社"))

    @pytest.mark.parametrize("field, data", [
        ("kind", {"kind": "savings"}), ("code", {"code": "  "}), ("name", {"name": ""}),
    ])
    def test_refuses_bad_input(self, world, field, data):
        arguments = {"code": "fund:x", "name": "基金", "kind": "fund", **data}
        with pytest.raises(ValidationFailed) as refused:
            services.account_open(actor=ACTOR, division=world.node("甲市一区一街二社"), **arguments)
        assert field in refused.value.fields
        assert not Account.objects.exists()

    def test_the_database_refuses_a_fund_that_may_go_negative(self, books):
        with pytest.raises(IntegrityError), transaction.atomic():
            Account.objects.filter(pk=books.fund.pk).update(allow_negative=True)


@pytest.mark.django_db
class TestAccountClose:
    def test_a_fund_that_still_holds_money_stays_open(self, books):
        donate(books, "10.00")
        with pytest.raises(Conflict):
            services.account_close(actor=ACTOR, account=books.fund)
        books.fund.refresh_from_db()
        assert books.fund.closed_at is None

    def test_a_closed_account_takes_no_postings_and_nothing_is_written(self, books):
        services.account_close(actor=ACTOR, account=books.fund)
        assert AuditEvent.objects.filter(action="ledger.account.closed", target_id=str(books.fund.pk)).exists()
        before = written(books)
        with pytest.raises(Conflict) as refused:
            donate(books, "10.00")
        assert refused.value.code == "account_closed"
        assert written(books) == before

    def test_closing_twice_is_refused(self, books):
        services.account_close(actor=ACTOR, account=books.payee)
        with pytest.raises(Conflict):
            services.account_close(actor=ACTOR, account=books.payee)


@pytest.mark.django_db
class TestLedgerPost:
    def test_a_balanced_donation_moves_money_and_is_recorded(self, books, world):
        user = world.users["charity_staff"]
        posted = services.ledger_post(
            actor=user, kind="donation", legs=[(books.donor, Decimal("-1000.00")), (books.fund, Decimal("1000.00"))],
            source_document="收据-2026-001", memo="爱心企业捐赠", occurred_on=datetime.date(2026, 3, 1),
        )
        books.refresh()
        assert books.fund.balance == Decimal("1000.00")
        assert books.donor.balance == Decimal("-1000.00")
        assert posted.kind == "donation" and posted.source_document == "收据-2026-001"
        assert posted.occurred_on == datetime.date(2026, 3, 1)
        assert posted.actor == user and posted.actor_name == user.username
        assert posted.division == books.fund.division  # the fund's, not the donor's
        assert sorted((leg.account_id, leg.amount) for leg in posted.legs.all()) == sorted(
            [(books.donor.pk, Decimal("-1000.00")), (books.fund.pk, Decimal("1000.00"))]
        )
        event = AuditEvent.objects.get(action="ledger.transaction.posted", target_id=str(posted.pk))
        assert event.actor == user and event.division == books.fund.division
        assert event.changes["legs"] == [
            {"account": books.donor.code, "amount": "-1000.00"}, {"account": books.fund.code, "amount": "1000.00"},
        ]
        assert event.changes["source_document"] == "收据-2026-001"

    def test_seed_matching_splits_over_three_legs(self, books, world):
        posted = services.ledger_post(
            actor=ACTOR, kind="seed_matching", source_document="区财政〔2026〕7号", division=world.node("甲市一区"),
            legs=[(books.budget, "-300.00"), (books.fund, "100.00"), (books.earmarked, "200.00")],
        )
        books.refresh()
        assert (books.budget.balance, books.fund.balance, books.earmarked.balance) == (
            Decimal("-300.00"), Decimal("100.00"), Decimal("200.00"),
        )
        assert posted.division == world.node("甲市一区")
        assert posted.legs.count() == 3

    def test_occurred_on_defaults_to_today(self, books):
        from django.utils import timezone

        assert donate(books, "1.00").occurred_on == timezone.localdate()

    def test_an_unbalanced_transaction_is_refused_and_nothing_is_written(self, books):
        before = written(books)
        with translation.override("en"), pytest.raises(ValidationFailed) as refused:
            services.ledger_post(actor=ACTOR, kind="donation", source_document="收据-1",
                                 legs=[(books.donor, "-100.00"), (books.fund, "99.99")])
        assert "sum to -0.01" in str(refused.value.fields["legs"][0])
        assert refused.value.status == 422
        assert written(books) == before

    def test_one_leg_is_not_a_transaction(self, books):
        with pytest.raises(ValidationFailed) as refused:
            services.ledger_post(actor=ACTOR, kind="donation", source_document="收据-1", legs=[(books.fund, "0.01")])
        assert "legs" in refused.value.fields

    @pytest.mark.parametrize("amount", [0, "0.00", 0.5, 100.0, "10.005", "abc", Decimal("NaN"), 10**12 + 1])
    def test_bad_amounts_are_refused_and_nothing_is_written(self, books, amount):
        before = written(books)
        negative = -amount if isinstance(amount, int | float) else f"-{amount}"
        with pytest.raises(ValidationFailed) as refused:
            services.ledger_post(actor=ACTOR, kind="donation", source_document="收据-1",
                                 legs=[(books.donor, negative), (books.fund, amount)])
        assert refused.value.fields["legs"]
        assert written(books) == before

    def test_the_largest_leg_is_accepted(self, books):
        donate(books, 10**12)
        books.fund.refresh_from_db()
        assert books.fund.balance == Decimal("1000000000000.00")

    def test_an_account_appears_once(self, books):
        with pytest.raises(ValidationFailed):
            services.ledger_post(actor=ACTOR, kind="donation", source_document="收据-1",
                                 legs=[(books.fund, "-5.00"), (books.fund, "5.00")])

    @pytest.mark.parametrize("field, arguments", [
        ("source_document", {"source_document": "  "}),
        ("kind", {"kind": ""}),
        ("kind", {"kind": "reversal"}),
    ])
    def test_a_transaction_names_its_kind_and_source_document(self, books, field, arguments):
        with pytest.raises(ValidationFailed) as refused:
            services.ledger_post(actor=ACTOR, **{"kind": "donation", "source_document": "收据-1", **arguments},
                                 legs=[(books.donor, "-5.00"), (books.fund, "5.00")])
        assert field in refused.value.fields
        assert not Transaction.objects.exists()

    def test_an_overdraft_is_refused_and_nothing_is_written(self, books):
        donate(books, "100.00")
        before = written(books)
        with translation.override("en"), pytest.raises(InsufficientFunds) as refused:
            disburse(books, "150.00")
        assert refused.value.status == 409 and refused.value.code == "insufficient_funds"
        assert str(refused.value.message) == "The balance of 一社社区发展基金 is 100.00 yuan; this needs 150.00 yuan."
        assert refused.value.extra == {"account": books.fund.code, "balance": "100.00", "needed": "150.00"}
        assert written(books) == before

    def test_a_fund_can_be_spent_to_exactly_zero(self, books):
        donate(books, "100.00")
        disburse(books, "100.00")
        books.fund.refresh_from_db()
        assert books.fund.balance == Decimal("0.00")

    def test_fen_add_up_exactly(self, books):
        # 0.10 + 0.20 - 0.30 is not zero in floating point; balances must stay exact on every database.
        donate(books, "0.10")
        donate(books, "0.20")
        disburse(books, "0.30")
        books.fund.refresh_from_db()
        assert books.fund.balance == Decimal("0.00")
        with pytest.raises(InsufficientFunds):
            disburse(books, "0.01")

    def test_an_earmarked_account_never_goes_negative_either(self, books):
        with pytest.raises(InsufficientFunds):
            services.ledger_transfer(actor=ACTOR, kind="disbursement", source=books.earmarked,
                                     destination=books.payee, amount="0.01", source_document="凭证-1")

    def test_the_database_refuses_an_overdraft_itself(self, books):
        with pytest.raises(IntegrityError), transaction.atomic():
            Account.objects.filter(pk=books.fund.pk).update(balance=Decimal("-0.01"))

    def test_the_balance_is_read_under_lock_not_from_the_callers_copy(self, books):
        stale = Account.objects.get(pk=books.fund.pk)
        donate(books, "50.00")
        disburse(books, "50.00")
        with pytest.raises(InsufficientFunds):
            services.ledger_transfer(actor=ACTOR, kind="disbursement", source=stale, destination=books.payee,
                                     amount="1.00", source_document="凭证-2")


@pytest.mark.django_db
class TestLedgerTransfer:
    @pytest.mark.parametrize("amount", ["-5.00", "0", 0, 5.0])
    def test_the_amount_is_positive_and_not_a_float(self, books, amount):
        with pytest.raises(ValidationFailed) as refused:
            services.ledger_transfer(actor=ACTOR, kind="donation", source=books.donor, destination=books.fund,
                                     amount=amount, source_document="收据-1")
        assert "amount" in refused.value.fields
        assert not Transaction.objects.exists()

    def test_moves_money_from_source_to_destination(self, books):
        posted = donate(books, "12.34")
        assert {leg.account_id: leg.amount for leg in posted.legs.all()} == {
            books.donor.pk: Decimal("-12.34"), books.fund.pk: Decimal("12.34"),
        }


@pytest.mark.django_db
class TestLedgerReverse:
    def test_posts_the_mirror_image_and_keeps_the_original(self, books, world):
        original = donate(books, "300.00")
        user = world.users["charity_staff"]
        reversal = services.ledger_reverse(actor=user, transaction=original, reason="重复入账")
        books.refresh()
        assert books.fund.balance == Decimal("0.00") and books.donor.balance == Decimal("0.00")
        assert reversal.kind == "reversal" and reversal.reverses == original
        assert reversal.memo == "重复入账" and reversal.source_document == original.source_document
        assert reversal.division == original.division
        assert {leg.account_id: leg.amount for leg in reversal.legs.all()} == {
            books.donor.pk: Decimal("300.00"), books.fund.pk: Decimal("-300.00"),
        }
        original.refresh_from_db()
        assert original.reversed_by == reversal
        assert original.legs.count() == 2
        event = AuditEvent.objects.get(action="ledger.transaction.reversed", target_id=str(reversal.pk))
        assert event.actor == user and event.note == "重复入账" and event.changes["reverses"] == original.pk

    def test_a_transaction_is_reversed_at_most_once(self, books):
        original = donate(books, "300.00")
        services.ledger_reverse(actor=ACTOR, transaction=original, reason="错账")
        before = written(books)
        with pytest.raises(Conflict) as refused:
            services.ledger_reverse(actor=ACTOR, transaction=original, reason="再次")
        assert refused.value.code == "already_reversed"
        assert written(books) == before

    def test_a_reversal_is_not_reversed(self, books):
        reversal = services.ledger_reverse(actor=ACTOR, transaction=donate(books, "300.00"), reason="错账")
        with pytest.raises(Conflict) as refused:
            services.ledger_reverse(actor=ACTOR, transaction=reversal, reason="撤销冲销")
        assert refused.value.code == "is_reversal"

    def test_a_donation_already_spent_cannot_be_reversed(self, books):
        donation = donate(books, "300.00")
        disburse(books, "200.00")
        before = written(books)
        with pytest.raises(InsufficientFunds):
            services.ledger_reverse(actor=ACTOR, transaction=donation, reason="捐赠人撤回")
        assert written(books) == before
        assert not Transaction.objects.filter(reverses=donation).exists()

    def test_a_disbursement_can_be_reversed(self, books):
        donate(books, "300.00")
        payment = disburse(books, "200.00")
        services.ledger_reverse(actor=ACTOR, transaction=payment, reason="收款单位退回")
        books.refresh()
        assert books.fund.balance == Decimal("300.00") and books.payee.balance == Decimal("0.00")

    def test_a_reason_is_required(self, books):
        with pytest.raises(ValidationFailed) as refused:
            services.ledger_reverse(actor=ACTOR, transaction=donate(books, "1.00"), reason=" ")
        assert "reason" in refused.value.fields


@pytest.mark.django_db
class TestAppendOnly:
    def test_posted_rows_refuse_save_and_delete(self, books):
        posted = donate(books, "10.00")
        leg = posted.legs.first()
        posted.memo = "改"
        for attempt in (posted.save, posted.delete, leg.save, leg.delete):
            with pytest.raises(AppendOnlyError, match="reversal"):
                attempt()
        posted.refresh_from_db()
        assert posted.memo == "" and posted.legs.count() == 2

    def test_the_database_allows_only_a_reversal_to_be_marked_as_one(self, books):
        with pytest.raises(IntegrityError), transaction.atomic():
            Transaction.objects.create(kind="reversal", source_document="x", division=books.fund.division)

    def test_the_database_refuses_a_zero_leg(self, books):
        posted = donate(books, "10.00")
        with pytest.raises(IntegrityError), transaction.atomic():
            Leg.objects.create(transaction=posted, account=books.budget, amount=Decimal("0.00"))

    @requires_postgresql
    @pytest.mark.parametrize("model", [Leg, Transaction])
    def test_postgresql_refuses_update_and_delete_of_posted_rows(self, books, model):
        posted = donate(books, "10.00")
        row = model.objects.filter(pk=posted.legs.first().pk if model is Leg else posted.pk)
        changes = {"amount": Decimal("99.00")} if model is Leg else {"memo": "改"}
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            row.update(**changes)
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            row._raw_delete(row.db)
        assert row.exists()

    @requires_postgresql
    def test_postgresql_still_empties_the_tables_with_truncate(self, books):
        donate(books, "10.00")
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # settle the deferred foreign-key checks first
                cursor.execute("TRUNCATE ledger_leg, ledger_transaction CASCADE")  # other apps refer to postings
            assert not Leg.objects.exists() and not Transaction.objects.exists()
            transaction.set_rollback(True)
