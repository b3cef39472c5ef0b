"""The funds' Excel registers: the funds with their balances, and each fund's income (export and
all-or-nothing import through ``services.income_record``, so imported donations are matched by
rule like any other). Income has no code: a row equal to an income already recorded (as an
export writes it) is that income and records nothing."""

from collections import Counter

from django.utils.translation import gettext_lazy as _

from accounts.permissions import in_scope, visible_to
from core.errors import PermissionDenied, ValidationFailed
from excel.registers import (
    Column,
    DivisionNames,
    Register,
    choice_label,
    parse_bool,
    parse_choice,
    parse_date,
    parse_decimal,
    parse_text,
    register,
    run_rows_atomically,
    yes_no,
)
from org.models import Division
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


# The other words people write for each choice (read as the same value, listed in 填写说明).
INCOME_KIND_WORDS = {
    IncomeKind.PUBLIC_DONATION: ("公开捐赠", "捐赠"),
    IncomeKind.TARGETED_DONATION: ("定向捐助",),
    IncomeKind.OPERATOR_SHARE: ("运营收益分成", "收益分成"),
    IncomeKind.MARKET: ("邻里市集收入", "市集收入"),
    IncomeKind.MICRO_BUSINESS: ("微业态收入",),
    IncomeKind.APPROPRIATION: ("区级拨款", "财政拨款"),
}
DONOR_KIND_WORDS = {
    DonorKind.INDIVIDUAL: ("居民", "乡贤"),
    DonorKind.ENTERPRISE: ("企业", "公司", "民营企业"),
    DonorKind.ORGANISATION: ("单位", "社会组织"),
    DonorKind.GOVERNMENT: ("政府", "财政"),
}


def fund_places(user) -> DivisionNames:
    """The divisions whose funds ``user`` can see, to be named in a workbook."""
    return DivisionNames(Division.objects.filter(fund__in=visible_to(user, "funds.view_fund", Fund.objects.all())))


INCOME_COLUMNS = [
    Column("fund", _("Community"), parse_text, required=True, width=14, headers=(_("Community code"),),
           options=lambda user: fund_places(user).allowed(), note=_("The fund's community (or street, district), by name")),
    Column("kind", _("Kind"), parse_choice(IncomeKind, INCOME_KIND_WORDS), required=True,
           note=_("Seed matching is computed by rule: exported matching rows import unchanged, new ones are refused")),
    Column("amount", _("Amount (yuan)"), parse_decimal, required=True, width=12),
    Column("donor_name", _("Donor or payer"), parse_text, required=True, width=22),
    Column("donor_kind", _("Donor kind"), parse_choice(DonorKind, DONOR_KIND_WORDS), width=10),
    Column("anonymous", _("Anonymous"), parse_bool, width=8),
    Column("purpose", _("Purpose"), parse_text, width=20),
    Column("received_on", _("Received on"), parse_date, required=True, width=12),
    Column("receipt_no", _("Donation receipt number"), parse_text, width=18),
]


def export_income(*, user, params: dict):
    incomes = _within(user, visible_to(user, "funds.view_fund", Income.objects.select_related("fund__division")),
                      params, "fund__division__path").order_by("fund__division__code", "received_on", "id")
    places = fund_places(user)

    def rows():
        for i in incomes.iterator(chunk_size=2000):
            yield [places.label(i.fund.division), choice_label(IncomeKind, i.kind), i.amount, i.donor_name, choice_label(DonorKind, i.donor_kind),
                   yes_no(i.anonymous), i.purpose, i.received_on, i.receipt_no]

    return incomes.count(), rows()


def _income_key(kind, amount, donor_name, donor_kind, anonymous, purpose, received_on, receipt_no) -> tuple:
    return kind, amount, donor_name.strip(), donor_kind, bool(anonymous), purpose.strip(), received_on, receipt_no.strip()


def import_income(*, actor, rows, params: dict, progress) -> dict:
    funds: dict[str, Fund] = {}
    recorded: dict[int, Counter] = {}  # each fund's incomes, by what a row says of them
    places = fund_places(actor)

    def apply_row(number: int, record: dict) -> str:
        name = record["fund"]
        if name not in funds:
            division = places.find(name)
            fund = Fund.objects.select_related("division", "host", "account").filter(division=division).first() if division else None
            if fund is None:
                raise ValidationFailed(fields={"fund": [_("%(code)s has no fund.") % {"code": name}]})
            if not in_scope(actor, "funds.add_income", fund):
                raise PermissionDenied(_("You cannot record income of the fund of %(code)s.") % {"code": name})
            funds[name] = fund
            recorded[fund.pk] = Counter(_income_key(i.kind, i.amount, i.donor_name, i.donor_kind, i.anonymous, i.purpose,
                                                    i.received_on, i.receipt_no) for i in fund.incomes.all())
        fund = funds[name]
        key = _income_key(record["kind"], record["amount"], record["donor_name"], record.get("donor_kind") or DonorKind.INDIVIDUAL,
                          record.get("anonymous"), record.get("purpose") or "", record["received_on"], record.get("receipt_no") or "")
        if recorded[fund.pk][key] > 0:
            recorded[fund.pk][key] -= 1
            return "unchanged"
        if record["kind"] == IncomeKind.SEED_MATCHING:
            raise ValidationFailed(fields={"kind": [_("Seed matching is computed by rule from the donations; it cannot be imported.")]})
        services.income_record(actor=actor, fund=fund, kind=record["kind"], amount=record["amount"],
                               donor_name=record["donor_name"], donor_kind=record.get("donor_kind") or DonorKind.INDIVIDUAL,
                               anonymous=bool(record.get("anonymous")), purpose=record.get("purpose") or "",
                               received_on=record["received_on"], receipt_no=record.get("receipt_no") or "")
        return "created"

    return run_rows_atomically(rows, apply_row, progress)


register(Register(name="funds.funds", title=_("Community development funds"), permission="funds.view_fund", columns=FUND_COLUMNS,
                  export_rows=export_funds, check_params=check_within))
register(Register(name="funds.income", title=_("Fund income"), permission="funds.view_fund", columns=INCOME_COLUMNS,
                  export_rows=export_income, import_rows=import_income, check_params=check_within))
