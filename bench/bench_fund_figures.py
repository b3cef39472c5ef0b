"""Balances and income by kind for every fund of a province: 10,000 funds, 2,000,000 legs.

Builds 10,000 community funds at one charity and 1,000,000 two-leg transactions over a year
(donations, targeted donations, operator shares, market proceeds, seed matching), written in
bulk with SQL the way the posting service leaves them (legs, kept balances and monthly totals),
then times ``funds.selectors.fund_figures`` — what the district dashboard, the charity's page
and the disclosures read — for all funds, against the per-fund ORM loop that sums each fund's
legs (timed on 500 funds and scaled, and checked to give the same figures).
"""

import sys
import time
from decimal import Decimal

from common import best_of, build_tree, prefer_postgres, report, say, throwaway_database

FUNDS = 10_000
TRANSACTIONS = 1_000_000
SAMPLE = 500
KINDS = ["public_donation", "targeted_donation", "operator_share", "market", "seed_matching"]


def build():
    from django.db import connection

    from funds.models import Fund
    from ledger.models import Account
    from org.models import Organisation

    city, district, _streets, communities = build_tree(streets=100, communities_per_street=FUNDS // 100)
    charity = Organisation.objects.create(name="省慈善总会", kind="charity", public_fundraising=True, home_division=city)
    donors = Account.objects.create(code="external:donors", name="捐赠人", kind="external", division=city, allow_negative=True)
    accounts = Account.objects.bulk_create([Account(code=f"fund:{c.code}", name=f"{c.code}基金", kind="fund", division=c,
                                                    organisation=charity) for c in communities], batch_size=5000)
    Fund.objects.bulk_create([Fund(division=c, host=charity, account=a, name=a.name, led_by="党委")
                              for c, a in zip(communities, accounts, strict=True)], batch_size=5000)
    first_account = min(a.pk for a in accounts)
    with connection.cursor() as cursor:
        # Transaction i goes to fund account (first + i % FUNDS), of kind i % 5, on day i % 365 of the year.
        cursor.execute(f"""
            INSERT INTO ledger_transaction (kind, memo, source_document, occurred_on, actor_name, division_id, created_at)
            SELECT (ARRAY{KINDS})[1 + i %% 5], '', 'B' || i, DATE '2026-01-01' + (i %% 365), 'bench', %s, now()
            FROM generate_series(0, {TRANSACTIONS - 1}) AS i""", [district.pk])
        cursor.execute("SELECT min(id) FROM ledger_transaction")
        first_transaction = cursor.fetchone()[0]
        for account_expression, sign in ((f"{first_account} + (t.id - {first_transaction}) %% {FUNDS}", 1), (str(donors.pk), -1)):
            cursor.execute(f"""
                INSERT INTO ledger_leg (transaction_id, account_id, amount)
                SELECT t.id, {account_expression}, {sign} * (10 + t.id %% 990)::numeric(16, 2) FROM ledger_transaction t""", [])
        cursor.execute("""
            UPDATE ledger_account a SET balance = s.total
            FROM (SELECT account_id, sum(amount) AS total FROM ledger_leg GROUP BY account_id) s WHERE s.account_id = a.id""")
        cursor.execute("""
            INSERT INTO ledger_monthtotal (account_id, kind, month, amount)
            SELECT l.account_id, t.kind, date_trunc('month', t.occurred_on)::date, sum(l.amount)
            FROM ledger_leg l JOIN ledger_transaction t ON t.id = l.transaction_id GROUP BY 1, 2, 3""")
        cursor.execute("ANALYZE")


def per_fund_loop(funds):
    """Each fund asked in turn for its balance and its income by kind, from its legs (the baseline)."""
    from django.db.models import Sum

    from ledger.models import Leg

    figures = {}
    for fund in funds:
        legs = Leg.objects.filter(account_id=fund.account_id)
        balance = legs.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
        by_kind = dict(legs.filter(amount__gt=0).values_list("transaction__kind").annotate(total=Sum("amount")).order_by())
        figures[fund.pk] = (balance, by_kind)
    return figures


def main() -> int:
    prefer_postgres()
    with throwaway_database():
        from django.db import connection

        from funds.models import Fund
        from funds.selectors import fund_figures

        say(f"database: {connection.vendor}")
        if connection.vendor != "postgresql":
            say("this benchmark writes its data with PostgreSQL's generate_series; no PostgreSQL here")
            return 1
        began = time.perf_counter()
        build()
        say(f"built {FUNDS:,} funds, {TRANSACTIONS:,} transactions, {2 * TRANSACTIONS:,} legs in {time.perf_counter() - began:.0f} s")

        def all_figures():
            return fund_figures(Fund.objects.all(), months=False)

        figures = all_figures()
        sample = list(Fund.objects.select_related("account").order_by("?")[:SAMPLE])
        looped = per_fund_loop(sample)
        for fund in sample:
            balance, by_kind = looped[fund.pk]
            assert figures[fund.pk].balance == balance and figures[fund.pk].by_kind == by_kind, fund.pk
        say(f"figures agree with the per-fund loop for {SAMPLE} funds; total balance ¥{sum(f.balance for f in figures.values()):,.2f}")
        ours = best_of(all_figures, repeat=5)
        loop = best_of(lambda: per_fund_loop(sample), repeat=3) * FUNDS / SAMPLE
        say(f"all funds: {ours * 1000:.0f} ms from kept totals; per-fund loop ≈ {loop:.1f} s ({FUNDS // SAMPLE}× the {SAMPLE}-fund sample)")
        ratio = loop / ours
        ok = report("fund-figures", ours * 1000, f"ms ({FUNDS:,} funds, {2 * TRANSACTIONS:,} legs)", ratio, "per-fund ORM loop",
                    "< 1 s and ≥ 20x", ours < 1 and ratio >= 20)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
