"""Reading the ledger: balances recomputed from the legs, and account statements.

An account's stored ``balance`` is a convenience kept by the posting service; the legs are the
truth. ``balance_from_legs`` and ``balances`` recompute from them, ``accounts_unreconciled``
names any account whose stored balance disagrees (it should never name one), and
``account_statement`` lists an account's legs with a running balance.

These functions take accounts the caller has already fetched within the user's scope.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Round, TruncMonth

from .models import ZERO, Account, Leg, MonthTotal

_MONEY = DecimalField(max_digits=16, decimal_places=2)


def _as_yuan(value) -> Decimal:
    return (value if value is not None else ZERO).quantize(Decimal("0.01"))


def balance_from_legs(account: Account) -> Decimal:
    """The account's balance as the sum of its legs."""
    return _as_yuan(Leg.objects.filter(account=account).aggregate(total=Sum("amount"))["total"])


def _legs_total():
    """Per account row: the sum of its legs (rounded to fen, as SQLite sums decimals in floating point)."""
    total = Subquery(
        Leg.objects.filter(account=OuterRef("pk")).order_by().values("account").annotate(total=Sum("amount")).values("total"),
        output_field=_MONEY,
    )
    return Round(Coalesce(total, Value(ZERO), output_field=_MONEY), 2, output_field=_MONEY)


def balances(accounts: QuerySet[Account]) -> dict[int, Decimal]:
    """Each account's balance recomputed from its legs, ``{account id: yuan}``, in one query."""
    rows = accounts.order_by().annotate(from_legs=_legs_total())
    return {pk: _as_yuan(total) for pk, total in rows.values_list("pk", "from_legs")}


def accounts_unreconciled(accounts: QuerySet[Account]) -> QuerySet[Account]:
    """The accounts whose stored balance differs from the sum of their legs (there should be none)."""
    return accounts.annotate(from_legs=_legs_total()).exclude(balance=F("from_legs"))


@dataclass
class StatementLine:
    leg: Leg  # with its transaction loaded
    balance: Decimal  # the account's balance after this leg

    @property
    def amount(self) -> Decimal:
        return self.leg.amount


@dataclass
class Statement:
    account: Account
    since: datetime.date | None
    until: datetime.date | None
    opening_balance: Decimal
    lines: list[StatementLine] = field(default_factory=list)

    @property
    def closing_balance(self) -> Decimal:
        return self.lines[-1].balance if self.lines else self.opening_balance

    @property
    def money_in(self) -> Decimal:
        return sum((line.amount for line in self.lines if line.amount > 0), ZERO)

    @property
    def money_out(self) -> Decimal:
        return sum((-line.amount for line in self.lines if line.amount < 0), ZERO)


def account_statement(
    *, account: Account, since: datetime.date | None = None, until: datetime.date | None = None
) -> Statement:
    """The account's legs dated from ``since`` to ``until`` (inclusive), by date and then posting order.

    Each line carries the balance after it, starting from the balance of everything dated
    before ``since``. Without ``until``, the closing balance is the account's balance.
    """
    legs = Leg.objects.filter(account=account).select_related("transaction")
    opening = ZERO
    if since is not None:
        opening = _as_yuan(legs.filter(transaction__occurred_on__lt=since).aggregate(total=Sum("amount"))["total"])
        legs = legs.filter(transaction__occurred_on__gte=since)
    if until is not None:
        legs = legs.filter(transaction__occurred_on__lte=until)
    statement = Statement(account=account, since=since, until=until, opening_balance=opening)
    running = opening
    for leg in legs.order_by("transaction__occurred_on", "transaction_id", "id"):
        running += leg.amount
        statement.lines.append(StatementLine(leg=leg, balance=running))
    return statement


def month_totals_from_legs(accounts: QuerySet[Account]):
    """(account id, kind, month, sum of legs) recomputed from the legs; a reversal counts as the kind it reverses."""
    counted_as = Coalesce("transaction__reverses__kind", "transaction__kind")
    return (Leg.objects.filter(account__in=accounts).order_by()
            .annotate(counted_as=counted_as, month=TruncMonth("transaction__occurred_on"))
            .values("account_id", "counted_as", "month").annotate(total=Sum("amount"))
            .values_list("account_id", "counted_as", "month", "total"))


def month_totals_unreconciled(accounts: QuerySet[Account]) -> list[tuple]:
    """Where the kept monthly totals differ from the legs: (account id, kind, month, kept, from legs)."""
    from_legs = {(a, k, m.date() if hasattr(m, "date") else m): _as_yuan(t) for a, k, m, t in month_totals_from_legs(accounts)}
    kept = {(a, k, m): _as_yuan(t) for a, k, m, t in MonthTotal.objects.filter(account__in=accounts)
            .values_list("account_id", "kind", "month", "amount")}
    return [(*key, kept.get(key, ZERO), from_legs.get(key, ZERO)) for key in sorted(set(from_legs) | set(kept), key=str)
            if kept.get(key, ZERO) != from_legs.get(key, ZERO)]
