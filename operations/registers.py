"""Space for service as Excel registers: agreements, their services, monthly reports (export, and an
all-or-nothing import through ``services.report_submit``), admissions, compliance findings and public
funding — the way streets and bureaus exchange these lists."""

from django.utils.translation import gettext_lazy as _

from accounts.permissions import in_scope, visible_to
from core.errors import PermissionDenied, ValidationFailed
from excel.registers import (
    Column,
    Register,
    choice_label,
    parse_date,
    parse_decimal,
    parse_int,
    parse_text,
    register,
    run_rows_atomically,
    same_value,
)
from org.selectors import division_get
from registry.hours import format_hours, slots_week
from registry.registers import check_within
from rulepack.selectors import source_short

from . import services
from .models import (
    Admission,
    AdmissionStatus,
    Agreement,
    AgreementService,
    AgreementStatus,
    BasisKind,
    Finding,
    Funding,
    FundingKind,
    FundingStatus,
    OperatingReport,
    OperationMode,
    PriceUnit,
    ReportStatus,
    ServiceCategory,
    ServiceTier,
    Severity,
)
from .services import first_of_month


def _columns(*spec) -> list[Column]:
    return [Column(key, header, parse_text, width=width) for key, header, width in spec]


def _within(user, queryset, params: dict, path_field: str):
    if params.get("within"):
        queryset = queryset.filter(**{f"{path_field}__under": division_get(user=user, code=params["within"]).path})
    return queryset


AGREEMENT_COLUMNS = _columns(
    ("id", _("Agreement id"), 10), ("code", _("Community code"), 14), ("community", _("Community or street"), 16),
    ("number", _("Agreement number"), 16), ("title", _("Title"), 28), ("operator", _("Operator"), 24),
    ("mode", _("Operation mode"), 12), ("status", _("Status"), 10), ("starts_on", _("From"), 12), ("ends_on", _("Until"), 12),
    ("spaces", _("Rooms and weekly hours"), 40), ("rent", _("Rent a year (yuan)"), 12),
    ("renovation", _("Renovation by the operator (yuan)"), 14), ("running", _("Running costs by the operator (yuan a year)"), 14),
    ("public_share", _("Agreed public-benefit share"), 10), ("basis", _("Formal basis"), 30),
    ("asset", _("Valuation and authorisation"), 30), ("breaches", _("Open breaches"), 8))


def export_agreements(*, user, params: dict):
    agreements = _within(user, visible_to(user, "operations.view_agreement", Agreement.objects.select_related(
        "division", "operator").prefetch_related("spaces__room__site", "findings")), params, "division__path").order_by(
        "division__code", "starts_on", "id")

    def rows():
        for a in agreements.iterator(chunk_size=500):
            spaces = "；".join(f"{s.room.site.name}·{s.room.name} {format_hours(slots_week(s.hours))}" for s in a.spaces.all())
            basis = " ".join(x for x in (choice_label(BasisKind, a.basis_kind) if a.basis_kind else "", a.basis_number,
                                         a.basis_date.isoformat() if a.basis_date else "") if x)
            asset = " ".join(x for x in (a.valuation_report_no, a.authorised_by, a.authorisation_document) if x)
            breaches = sum(1 for f in a.findings.all() if f.resolved_at is None and f.severity == Severity.BREACH)
            yield [a.pk, a.division.code, a.division.name, a.number, a.title, a.operator.name, choice_label(OperationMode, a.mode),
                   choice_label(AgreementStatus, a.status), a.starts_on, a.last_day, spaces, a.annual_rent,
                   a.operator_renovation_cost, a.operator_running_cost, a.public_benefit_share, basis, asset, breaches]

    return agreements.count(), rows()


SERVICE_COLUMNS = _columns(
    ("agreement", _("Agreement id"), 10), ("code", _("Community code"), 14), ("community", _("Community or street"), 16),
    ("operator", _("Operator"), 24), ("name", _("Service"), 22), ("category", _("Category"), 12), ("tier", _("Tier"), 10),
    ("price", _("Price (yuan)"), 10), ("unit", _("Price unit"), 8), ("market_price", _("Market price (yuan)"), 10),
    ("capacity", _("Places per session"), 8), ("audience", _("For whom"), 16))


def export_services(*, user, params: dict):
    items = _within(user, visible_to(user, "operations.view_agreement", AgreementService.objects.select_related(
        "agreement__division", "agreement__operator")), params, "agreement__division__path").order_by(
        "agreement__division__code", "agreement_id", "tier", "id")

    def rows():
        for s in items.iterator(chunk_size=2000):
            yield [s.agreement_id, s.agreement.division.code, s.agreement.division.name, s.agreement.operator.name, s.name,
                   choice_label(ServiceCategory, s.category), choice_label(ServiceTier, s.tier), s.price,
                   choice_label(PriceUnit, s.price_unit), s.market_price, s.capacity, s.audience]

    return items.count(), rows()


REPORT_COLUMNS = [
    Column("agreement", _("Agreement id"), parse_int, required=True, width=10),
    Column("community", _("Community or street"), parse_text, width=16),
    Column("operator", _("Operator"), parse_text, width=22),
    Column("month", _("Month"), parse_date, required=True, width=12, note=_("Any day of the month, e.g. 2026-10-01")),
    Column("revenue_low_cost", _("Low-cost revenue (yuan)"), parse_decimal, width=12),
    Column("revenue_market", _("Market revenue (yuan)"), parse_decimal, width=12),
    Column("operating_cost", _("Operating costs (yuan)"), parse_decimal, width=12),
    Column("sessions_free", _("Free sessions"), parse_int, width=8),
    Column("sessions_low_cost", _("Low-cost sessions"), parse_int, width=8),
    Column("sessions_market", _("Market sessions"), parse_int, width=8),
    Column("people_free", _("Person-times, free"), parse_int, width=8),
    Column("people_low_cost", _("Person-times, low-cost"), parse_int, width=8),
    Column("people_market", _("Person-times, market"), parse_int, width=8),
    Column("fund_share", _("Share due to the fund (yuan)"), parse_text, width=12, note=_("Computed; ignored on import")),
    Column("status", _("Status"), parse_text, width=10, note=_("Ignored on import")),
]


def export_reports(*, user, params: dict):
    reports = _within(user, visible_to(user, "operations.view_operatingreport", OperatingReport.objects.select_related(
        "agreement__division", "agreement__operator")), params, "agreement__division__path").order_by(
        "agreement__division__code", "agreement_id", "month")

    def rows():
        for r in reports.iterator(chunk_size=2000):
            yield [r.agreement_id, r.agreement.division.name, r.agreement.operator.name, r.month, r.revenue_low_cost,
                   r.revenue_market, r.operating_cost, r.sessions_free, r.sessions_low_cost, r.sessions_market, r.people_free,
                   r.people_low_cost, r.people_market, r.fund_share, choice_label(ReportStatus, r.status)]

    return reports.count(), rows()


def import_reports(*, actor, rows, params: dict, progress) -> dict:
    """Monthly reports filed from a workbook: each row through ``report_submit``, all or nothing."""
    agreements: dict[int, Agreement] = {}

    def apply_row(number: int, record: dict) -> str:
        pk = record["agreement"]
        if pk not in agreements:
            agreement = Agreement.objects.select_related("division", "operator").filter(pk=pk).first()
            if agreement is None or not in_scope(actor, "operations.view_agreement", agreement):
                raise ValidationFailed(fields={str(_("Agreement id")): [_("No agreement %(id)s.") % {"id": pk}]})
            if not in_scope(actor, "operations.add_operatingreport", agreement):
                raise PermissionDenied(_("Only the operator of agreement %(id)s files its reports.") % {"id": pk})
            agreements[pk] = agreement
        figures = {key: record.get(key) if record.get(key) is not None else 0 for key in services.REPORT_FIGURES}
        filed = OperatingReport.objects.filter(agreement=agreements[pk], month=first_of_month(record["month"])).first()
        if filed is not None and all(same_value(getattr(filed, key), value) for key, value in figures.items()):
            return "unchanged"  # the report as filed: importing it again changes nothing
        services.report_submit(actor=actor, agreement=agreements[pk], month=record["month"], figures=figures)
        return "created"

    return run_rows_atomically(rows, apply_row, progress)


ADMISSION_COLUMNS = _columns(
    ("operator", _("Operator"), 24), ("credit_code", _("Unified social credit code"), 20), ("division", _("Admitted by"), 14),
    ("status", _("Status"), 10), ("categories", _("Service categories"), 30), ("scope", _("Scope of services"), 30),
    ("valid_from", _("Valid from"), 12), ("valid_until", _("Valid until"), 12), ("reason", _("Reason"), 24))


def export_admissions(*, user, params: dict):
    admissions = _within(user, visible_to(user, "operations.view_admission", Admission.objects.select_related(
        "operator", "division")), params, "division__path").order_by("division__code", "operator__name")

    def rows():
        for a in admissions.iterator(chunk_size=2000):
            yield [a.operator.name, a.operator.credit_code or "", a.division.name, choice_label(AdmissionStatus, a.status),
                   "、".join(choice_label(ServiceCategory, c) for c in a.categories), a.scope_description, a.valid_from,
                   a.valid_until, a.status_reason]

    return admissions.count(), rows()


FINDING_COLUMNS = _columns(
    ("code", _("Community code"), 14), ("community", _("Community or street"), 16), ("agreement", _("Agreement"), 26),
    ("operator", _("Operator"), 22), ("month", _("Month"), 10), ("rule", _("Rule"), 36), ("source", _("Source"), 10),
    ("severity", _("Severity"), 8), ("figure", _("Figure"), 30), ("requirement", _("Requirement"), 20),
    ("message", _("Finding"), 50), ("found_at", _("Found at"), 16))


def export_findings(*, user, params: dict):
    findings = _within(user, visible_to(user, "operations.view_finding", Finding.objects.filter(
        resolved_at__isnull=True).select_related("agreement__division", "agreement__operator", "report")), params,
        "agreement__division__path").order_by("agreement__division__code", "-found_at")

    def rows():
        for f in findings.iterator(chunk_size=2000):
            yield [f.agreement.division.code, f.agreement.division.name, f.agreement.title, f.agreement.operator.name,
                   f.report.month.strftime("%Y-%m") if f.report_id else "", f.title, source_short(f.source),
                   choice_label(Severity, f.severity), f.figure, f.requirement, f.message, f.found_at.replace(tzinfo=None)]

    return findings.count(), rows()


FUNDING_COLUMNS = _columns(
    ("kind", _("Kind"), 14), ("title", _("Title"), 28), ("number", _("Contract or document number"), 18),
    ("funder", _("Paid by"), 14), ("code", _("Community code"), 14), ("division", _("Community or street served"), 16),
    ("recipient", _("Provider or recipient"), 22), ("amount", _("Amount (yuan)"), 12), ("paid", _("Paid (yuan)"), 12),
    ("starts_on", _("From"), 12), ("ends_on", _("Until"), 12), ("status", _("Status"), 10), ("conditions", _("Conditions"), 30))


def export_funding(*, user, params: dict):
    fundings = _within(user, visible_to(user, "operations.view_funding", Funding.objects.select_related(
        "funder", "division", "recipient")), params, "division__path").order_by("division__code", "starts_on")

    def rows():
        for f in fundings.iterator(chunk_size=2000):
            yield [choice_label(FundingKind, f.kind), f.title, f.number, f.funder.name, f.division.code, f.division.name,
                   f.recipient.name if f.recipient_id else "", f.amount, f.paid, f.starts_on, f.ends_on,
                   choice_label(FundingStatus, f.status), f.conditions]

    return fundings.count(), rows()


register(Register(name="operations.agreements", title=_("Co-operation agreements"), permission="operations.view_agreement",
                  columns=AGREEMENT_COLUMNS, export_rows=export_agreements, check_params=check_within))
register(Register(name="operations.services", title=_("Agreed services"), permission="operations.view_agreement",
                  columns=SERVICE_COLUMNS, export_rows=export_services, check_params=check_within))
register(Register(name="operations.reports", title=_("Monthly operating reports"), permission="operations.view_operatingreport",
                  columns=REPORT_COLUMNS, export_rows=export_reports, import_rows=import_reports, check_params=check_within))
register(Register(name="operations.admissions", title=_("Operator admissions"), permission="operations.view_admission",
                  columns=ADMISSION_COLUMNS, export_rows=export_admissions, check_params=check_within))
register(Register(name="operations.findings", title=_("Space-for-service breaches"), permission="operations.view_finding",
                  columns=FINDING_COLUMNS, export_rows=export_findings, check_params=check_within))
register(Register(name="operations.funding", title=_("Purchased services and subsidies"), permission="operations.view_funding",
                  columns=FUNDING_COLUMNS, export_rows=export_funding, check_params=check_within))
