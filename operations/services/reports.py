"""Operators' monthly reports: submitted against the agreement's bookings, confirmed (posting the fund's share, or holding it for a community without a fund) or returned."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from core.errors import Conflict, ValidationFailed
from core.services import require_filled
from core.uploads import photo_from_upload
from rulepack.selectors import param

from ..models import (
    ZERO,
    Agreement,
    AgreementStatus,
    OperatingReport,
    ReportPhoto,
    ReportStatus,
    ServiceTier,
    month_after,
)
from .agreements import _locked_agreement
from .base import _money, _notify_operator

REPORT_FIGURES = ("revenue_low_cost", "revenue_market", "operating_cost", "sessions_free", "sessions_low_cost",
                  "sessions_market", "people_free", "people_low_cost", "people_market")


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def fund_share_due(agreement: Agreement, report: OperatingReport) -> Decimal:
    """What the report's revenue owes the community fund under the agreement's shares, per tier."""
    revenue = {ServiceTier.FREE: ZERO, ServiceTier.LOW_COST: report.revenue_low_cost, ServiceTier.MARKET: report.revenue_market}
    total = ZERO
    for share in agreement.shares.all():
        if share.percent is not None:
            total += (revenue[share.tier] * share.percent / 100).quantize(Decimal("0.01"))
        else:
            total += share.fixed_monthly
    return total


def _report_figures(figures: dict) -> dict:
    unknown = set(figures) - set(REPORT_FIGURES) - {"note"}
    if unknown:
        raise ValidationFailed(fields={name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    checked, errors = {}, {}
    for name in REPORT_FIGURES:
        value = figures.get(name, 0)
        if name.startswith(("revenue", "operating")):
            try:
                checked[name] = _money(value, name)
            except ValidationFailed as error:
                errors.update(error.fields)
            continue
        try:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            number = int(value) if isinstance(value, int | float) else int(str(value).strip() or 0)
            if number < 0:
                raise ValueError
            checked[name] = number
        except (ValueError, TypeError):
            errors[name] = [_("Give a whole number, zero or more.")]
    if errors:
        raise ValidationFailed(fields=errors)
    checked["note"] = str(figures.get("note") or "").strip()
    return checked


@transaction.atomic
def report_submit(*, actor, agreement: Agreement, month: date, figures: dict, photos=(), now: datetime | None = None) -> OperatingReport:
    """The operator files (or, once returned, corrects) its figures for one month of an agreement."""
    from ..compliance import findings_refresh

    now = now or timezone.now()
    agreement = _locked_agreement(agreement)
    month = first_of_month(month)
    if agreement.status not in (AgreementStatus.ACTIVE, AgreementStatus.TERMINATED) or not (
            first_of_month(agreement.starts_on) <= month <= first_of_month(agreement.last_day)):
        raise ValidationFailed(fields={"month": [_("%(month)s is outside the agreement's term (%(start)s to %(end)s).") % {
            "month": month.strftime("%Y-%m"), "start": agreement.starts_on, "end": agreement.last_day}]})
    if month >= first_of_month(timezone.localdate(now)):
        raise ValidationFailed(fields={"month": [_("A month is reported once it is over.")]})
    checked = _report_figures(figures)
    photos = [photo_from_upload(photo) for photo in photos]
    report = OperatingReport.objects.select_for_update().filter(agreement=agreement, month=month).first()
    if report is not None and report.status != ReportStatus.RETURNED:
        raise Conflict(_("%(month)s has already been reported (%(status)s).") % {
            "month": month.strftime("%Y-%m"), "status": report.get_status_display()}, code="already_reported")
    report = report or OperatingReport(agreement=agreement, month=month)
    for name, value in checked.items():
        setattr(report, name, value)
    report.status, report.submitted_by, report.submitted_at, report.return_note = ReportStatus.SUBMITTED, actor, now, ""
    report.fund_share = fund_share_due(agreement, report)
    report.save()
    for photo in photos:
        item = ReportPhoto(report=report)
        item.image.save(photo.name, photo, save=False)
        item.save()
    audit_record(actor=actor, action="operations.report.submitted", target=report, division=agreement.division,
                 organisation=agreement.operator, changes={name: checked[name] for name in REPORT_FIGURES} | {
                     "fund_share": report.fund_share, "photos": len(photos)})
    findings_refresh(agreement=agreement, report=report, now=now)
    return report


def _locked_report(report: OperatingReport) -> OperatingReport:
    return OperatingReport.objects.select_for_update(of=("self",)).select_related("agreement__division", "agreement__operator").get(
        pk=report.pk)


@transaction.atomic
def report_confirm(*, actor, report: OperatingReport, now: datetime | None = None) -> OperatingReport:
    """The community confirms a report; the fund's share is posted to its fund as the operator's revenue share,
    or, where the community has no fund yet, held for it until the fund is founded (never dropped)."""
    from funds.models import HeldShare
    from funds.services import operator_share_post

    now = now or timezone.now()
    report = _locked_report(report)
    if report.status != ReportStatus.SUBMITTED:
        raise Conflict(_("The report is %(status)s; only a submitted report can be confirmed.") % {
            "status": report.get_status_display()}, code="wrong_status")
    agreement = report.agreement
    if report.fund_share > 0:
        month_end = month_after(report.month) - timedelta(days=1)
        posted = operator_share_post(
            actor=actor, division=agreement.division, amount=report.fund_share, operator=agreement.operator,
            received_on=min(timezone.localdate(now), month_end + timedelta(days=int(
                param(division=agreement.division, key="operations.report_due_day")))),
            document=f"operating-report:{report.pk}:{report.month:%Y-%m}")
        if isinstance(posted, HeldShare):
            report.fund_hold = posted
        else:
            report.fund_income = posted
    report.status, report.decided_by, report.decided_at = ReportStatus.CONFIRMED, actor, now
    report.save(update_fields=["status", "decided_by", "decided_at", "fund_income", "fund_hold"])
    audit_record(actor=actor, action="operations.report.confirmed", target=report, division=agreement.division,
                 organisation=agreement.operator, changes={"fund_share": report.fund_share,
                                                           "posted": report.fund_income_id is not None,
                                                           "held": report.fund_hold_id is not None})
    return report


@transaction.atomic
def report_return(*, actor, report: OperatingReport, note: str, now: datetime | None = None) -> OperatingReport:
    """The community returns a report to the operator with what to correct."""
    report = _locked_report(report)
    if report.status != ReportStatus.SUBMITTED:
        raise Conflict(_("The report is %(status)s; only a submitted report can be returned.") % {
            "status": report.get_status_display()}, code="wrong_status")
    require_filled(note=note)
    report.status, report.return_note, report.decided_by, report.decided_at = ReportStatus.RETURNED, note.strip(), actor, \
        now or timezone.now()
    report.save(update_fields=["status", "return_note", "decided_by", "decided_at"])
    audit_record(actor=actor, action="operations.report.returned", target=report, division=report.agreement.division,
                 organisation=report.agreement.operator, note=note)
    _notify_operator(report.agreement.operator, _("Report %(month)s returned: %(note)s") % {
        "month": report.month.strftime("%Y-%m"), "note": note}, f"/operations/reports/{report.pk}/")
    return report


# Government-purchased services and subsidies [Xishan, Quanzhou].

