"""The charity's audit export: the general ledger of its funds and each fund's statement for a period, as Excel.

The statement sheet's closing balances are the opening balance plus the period's legs; for a
period that ends today they equal the balances the pages show (a test checks it). Two queries
read all the funds' legs, however many funds there are.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from io import BytesIO

from django.db.models import Sum
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from ledger.models import Leg

from .models import ZERO, Fund, IncomeKind


@dataclass
class FundStatement:
    fund: Fund
    opening: Decimal = ZERO
    money_in: Decimal = ZERO
    money_out: Decimal = ZERO
    legs: list = field(default_factory=list)

    @property
    def closing(self) -> Decimal:
        return self.opening + self.money_in - self.money_out


def fund_statements(funds: list[Fund], *, since: date, until: date) -> list[FundStatement]:
    by_account = {fund.account_id: FundStatement(fund=fund) for fund in funds}
    before = (Leg.objects.filter(account_id__in=by_account, transaction__occurred_on__lt=since).order_by()
              .values("account_id").annotate(total=Sum("amount")).values_list("account_id", "total"))
    for account_id, total in before:
        by_account[account_id].opening = Decimal(total).quantize(Decimal("0.01"))
    legs = (Leg.objects.filter(account_id__in=by_account, transaction__occurred_on__gte=since, transaction__occurred_on__lte=until)
            .select_related("transaction").order_by("transaction__occurred_on", "transaction_id", "id"))
    for leg in legs.iterator(chunk_size=5000):
        statement = by_account[leg.account_id]
        statement.legs.append(leg)
        if leg.amount > 0:
            statement.money_in += leg.amount
        else:
            statement.money_out -= leg.amount
    return list(by_account.values())


def _kind_label(kind: str) -> str:
    labels = {**dict(IncomeKind.choices), "disbursement": _("disbursement"), "reversal": _("reversal")}
    return str(labels.get(kind, kind))


def audit_workbook(funds: list[Fund], *, since: date, until: date) -> bytes:
    statements = fund_statements(funds, since=since, until=until)
    book = Workbook()
    summary = book.active
    summary.title = _("Statements")
    summary.append([_("Fund statements from %(since)s to %(until)s") % {"since": since, "until": until}])
    summary["A1"].font = Font(bold=True, size=13)
    summary.append([_("Community code"), _("Fund"), _("Host charity"), _("Opening balance"), _("Money in"), _("Money out"),
                    _("Closing balance")])
    for statement in statements:
        summary.append([statement.fund.division.code, statement.fund.name, statement.fund.host.name, statement.opening,
                        statement.money_in, statement.money_out, statement.closing])
    summary.append([_("Total"), "", "", sum((s.opening for s in statements), ZERO), sum((s.money_in for s in statements), ZERO),
                    sum((s.money_out for s in statements), ZERO), sum((s.closing for s in statements), ZERO)])
    ledger = book.create_sheet(_("General ledger"))
    ledger.append([_("Date"), _("Transaction"), _("Kind"), _("Source document"), _("Fund"), _("Money in"), _("Money out"),
                   _("Balance after"), _("Memo"), _("Posted by")])
    for statement in statements:
        running = statement.opening
        for leg in statement.legs:
            running += leg.amount
            posted = leg.transaction
            ledger.append([posted.occurred_on, posted.pk, _kind_label(posted.kind), posted.source_document, statement.fund.name,
                           leg.amount if leg.amount > 0 else None, -leg.amount if leg.amount < 0 else None, running,
                           posted.memo, posted.actor_name])
    for sheet in (summary, ledger):
        for column in "ABCDEFGHIJ":
            sheet.column_dimensions[column].width = 18
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, Decimal):
                    cell.number_format = "#,##0.00"
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
