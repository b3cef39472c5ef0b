"""The funds' Excel registers: the funds with their balances, and each fund's income (export and
all-or-nothing import through ``services.income_record``, so imported donations are matched by
rule like any other)."""

from django.utils.translation import gettext_lazy as _

from accounts.permissions import in_scope, visible_to
from core.errors import PermissionDenied, ValidationFailed
from excel.registers import (
    Column,
    Register,
    choice_label,
    parse_bool,
    parse_choice,
    parse_code,
    parse_date,
    parse_decimal,
    parse_text,
    register,
    run_rows_atomically,
    yes_no,
)
from org.selectors import division_get
from registry.registers import check_within

from . import services
from .models import DonorKind, Fund, Income, IncomeKind

FUND_COLUMNS = [Column(key, header, parse_text, width=width) for key, header, width in (
    ("code", _("Community code"), 14), ("community", _("Community"), 18), ("name", _("Fund"), 28), ("host", _("Host charity"), 22),
    ("led_by", _("Led by"), 20), ("founded_on", _("Founded on"), 12), ("document", _("Founding document"), 18),
    ("balance", _("Balance (yuan)"), 14))]


def _within(user, queryset, params: dict, path_field: str):
    if params.get("within"):
        queryset = queryset.filter(**{f"{path_field}__under": division_get(user=user, code=params["within"]).path})
    return queryset


def export_funds(*, user, params: dict):
    funds = _within(user, visible_to(user, "funds.view_fund", Fund.objects.select_related("division", "host", "account")),
                    params, "division__path").order_by("division__code")

    def rows():
        for f in funds.iterator(chunk_size=2000):
            yield [f.division.code, f.division.name, f.name, f.host.name, f.led_by, f.founded_on, f.founding_document, f.account.balance]

    return funds.count(), rows()


INCOME_COLUMNS = [
    Column("fund", _("Community code"), parse_code, required=True, width=14),
    Column("kind", _("Kind"), parse_choice([c for c in IncomeKind.choices if c[0] != IncomeKind.SEED_MATCHING]), required=True),
    Column("amount", _("Amount (yuan)"), parse_decimal, required=True, width=12),
    Column("donor_name", _("Donor or payer"), parse_text, required=True, width=22),
    Column("donor_kind", _("Donor kind"), parse_choice(DonorKind.choices), width=10),
    Column("anonymous", _("Anonymous"), parse_bool, width=8),
    Column("purpose", _("Purpose"), parse_text, width=20),
    Column("received_on", _("Received on"), parse_date, required=True, width=12),
    Column("receipt_no", _("Donation receipt number"), parse_text, width=18),
]


def export_income(*, user, params: dict):
    incomes = _within(user, visible_to(user, "funds.view_fund", Income.objects.select_related("fund__division")),
                      params, "fund__division__path").order_by("fund__division__code", "received_on", "id")

    def rows():
        for i in incomes.iterator(chunk_size=2000):
            yield [i.fund.division.code, choice_label(IncomeKind, i.kind), i.amount, i.donor_name, choice_label(DonorKind, i.donor_kind),
                   yes_no(i.anonymous), i.purpose, i.received_on, i.receipt_no]

    return incomes.count(), rows()


def import_income(*, actor, rows, params: dict, progress) -> dict:
    funds: dict[str, Fund] = {}

    def apply_row(number: int, record: dict) -> str:
        code = record["fund"]
        if code not in funds:
            fund = Fund.objects.select_related("division", "host", "account").filter(division__code=code).first()
            if fund is None:
                raise ValidationFailed(fields={str(_("Community code")): [_("%(code)s has no fund.") % {"code": code}]})
            if not in_scope(actor, "funds.add_income", fund):
                raise PermissionDenied(_("You cannot record income of the fund of %(code)s.") % {"code": code})
            funds[code] = fund
        services.income_record(actor=actor, fund=funds[code], kind=record["kind"], amount=record["amount"],
                               donor_name=record["donor_name"], donor_kind=record.get("donor_kind") or DonorKind.INDIVIDUAL,
                               anonymous=bool(record.get("anonymous")), purpose=record.get("purpose") or "",
                               received_on=record["received_on"], receipt_no=record.get("receipt_no") or "")
        return "created"

    return run_rows_atomically(rows, apply_row, progress)


register(Register(name="funds.funds", title=_("Community development funds"), permission="funds.view_fund", columns=FUND_COLUMNS,
                  export_rows=export_funds, check_params=check_within))
register(Register(name="funds.income", title=_("Fund income"), permission="funds.view_fund", columns=INCOME_COLUMNS,
                  export_rows=export_income, import_rows=import_income, check_params=check_within))
