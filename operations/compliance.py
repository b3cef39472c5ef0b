"""Compliance of agreements and reports with the rules for the rooms' property class [Huli].

On administrative state-owned rooms the use is public benefit first, paid services only a
supplement whose income stays within the cost of keeping them running; free use is only for
non-profit purposes; a formal document fixes the use, the public/commercial ratio and the
revenue distribution, and the asset procedure (valuation, authorisation) is on record.
Village-collective rooms follow the collective's rules; a mixed room follows the rules of each
class it is partly made of. Which rule applies to which class, and its numbers, come from the
city's pack (``operations.rules``).

``findings_refresh`` judges an agreement (or one of its reports) and keeps ``Finding`` rows in
step: a finding that no longer holds is resolved, a new one is recorded with its figures. It
also cross-checks a report's sessions against the bookings of the agreement's rooms, and its
person-times against the check-ins other modules recorded (``attendance_counter``).
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from registry.models import PropertyClass, Site
from rulepack.models import Rule
from rulepack.selectors import param, rule, rules_for

from .models import (
    Agreement,
    AgreementStatus,
    BasisKind,
    Finding,
    OperatingReport,
    ServiceTier,
    Severity,
    month_after,
)

ZERO = Decimal("0")


@dataclass
class Verdict:
    rule_key: str
    title: str
    source: str
    figure: str
    requirement: str
    message: str
    severity: str = Severity.BREACH


def site_classes(site: Site) -> set[str]:
    """The property classes whose rules a site follows: a mixed site, those of each of its parts."""
    if site.property_class != PropertyClass.MIXED:
        return {site.property_class}
    classes = {PropertyClass.MIXED}
    if (site.state_share or 0) > 0:
        classes.add(PropertyClass.STATE_ADMINISTRATIVE)
    if (site.collective_share or 0) > 0:
        classes.add(PropertyClass.VILLAGE_COLLECTIVE)
    return classes


def agreement_classes(agreement: Agreement) -> set[str]:
    classes: set[str] = set()
    for space in agreement.spaces.all():
        classes |= site_classes(space.room.site)
    return classes


def _applicable(agreement: Agreement, classes: set[str]) -> Iterator[Rule]:
    for found in rules_for(division=agreement.division, module="operations"):
        if set(found.params.get("property_classes", ())) & classes:
            yield found


def _pct(share) -> str:
    return f"{Decimal(str(share)) * 100:.0f}%"


def _verdict(found: Rule, figure: str, requirement: str, message: str, severity: str = Severity.BREACH) -> Verdict:
    return Verdict(found.key, found.title, found.source.tag, figure[:120], requirement[:120],
                   message[:300], severity)


def judge_agreement(agreement: Agreement) -> list[Verdict]:
    """What the rules of its rooms' property classes say of an agreement's terms."""
    verdicts = []
    classes = agreement_classes(agreement)
    services = list(agreement.services.all())
    for found in _applicable(agreement, classes):
        p = found.params
        if found.kind == "public_benefit_share_min" and Decimal(str(agreement.public_benefit_share)) < Decimal(str(p["min_share"])):
            verdicts.append(_verdict(
                found, _("agreed public-benefit share %(share)s") % {"share": _pct(agreement.public_benefit_share)},
                f"≥ {_pct(p['min_share'])}",
                _("The agreement gives free and low-cost services %(share)s of sessions; at least %(min)s is required.")
                % {"share": _pct(agreement.public_benefit_share), "min": _pct(p["min_share"])}))
        elif found.kind == "free_use_non_profit" and agreement.annual_rent == 0:
            market = [s.name for s in services if s.tier == ServiceTier.MARKET]
            if market or not agreement.non_profit_purpose:
                reason = (_("market-priced services: %(names)s") % {"names": "、".join(market)}) if market else \
                    _("not for a non-profit purpose")
                verdicts.append(_verdict(found, _("free use, %(reason)s") % {"reason": reason},
                                         _("free use only for non-profit purposes"),
                                         _("The room is given free of rent, but %(reason)s.") % {"reason": reason}))
        elif found.kind == "agreement_records":
            missing = [str(Agreement._meta.get_field(name).verbose_name) for name in p["fields"]
                       if not getattr(agreement, name)]
            kinds = p.get("basis_kinds") or []
            wrong_basis = bool(kinds) and agreement.basis_kind not in kinds
            if missing or wrong_basis:
                parts = []
                if wrong_basis:
                    parts.append(_("basis: %(kind)s") % {"kind": agreement.get_basis_kind_display() or _("none")})
                if missing:
                    parts.append(_("missing: %(fields)s") % {"fields": "、".join(missing)})
                verdicts.append(_verdict(
                    found, "；".join(parts),
                    "、".join(str(BasisKind(k).label) for k in kinds) if kinds else _("all recorded"),
                    _("The agreement lacks what the rule asks to be on record: %(what)s.") % {"what": "；".join(parts)}))
    return verdicts


# Modules that count people checking in (the smart neighbourhood's activities) register here how
# many person-times they saw for an agreement between two instants; operations needs not know them.
ATTENDANCE_COUNTERS: list[Callable[[Agreement, datetime, datetime], int]] = []


def attendance_counter(counter: Callable[[Agreement, datetime, datetime], int]):
    """Register a counter of person-times checked in for an agreement (used as a decorator or a call)."""
    if counter not in ATTENDANCE_COUNTERS:
        ATTENDANCE_COUNTERS.append(counter)
    return counter


def _month_bounds(month) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (datetime.combine(month, time.min, tzinfo=tz),
            datetime.combine(month_after(month), time.min, tzinfo=tz))


def attendance_in_month(agreement: Agreement, month) -> int | None:
    """Person-times checked in on the platform for the agreement in ``month`` (None: nothing counts them)."""
    if not ATTENDANCE_COUNTERS:
        return None
    start, end = _month_bounds(month)
    return sum(counter(agreement, start, end) for counter in ATTENDANCE_COUNTERS)


def schedule_in_month(agreement: Agreement, month):
    """What the schedule says of the agreement's rooms in ``month``: the operator's bookings there (the
    agreement's weekly hours and its own one-off bookings), their hours, and those checked in."""
    from scheduling.selectors import held_time

    from .services import agreement_origin

    start, end = _month_bounds(month)
    return held_time(rooms=[space.room_id for space in agreement.spaces.all()], since=start, until=end,
                     origin=agreement_origin(agreement), organisation=agreement.operator)


def sessions_possible(hours: float, min_minutes: int) -> int:
    """The most sessions of at least ``min_minutes`` that ``hours`` of booked rooms can hold."""
    return int(round(hours * 60, 6) // min_minutes)


def _schedule_verdicts(report: OperatingReport) -> list[Verdict]:
    """A report's sessions against the schedule of the agreement's rooms that month: sessions claimed when the
    rooms had no booking at all, more sessions than the booked hours can hold, and more than the
    bookings (or the check-ins) beyond the pack's tolerance."""
    agreement, sessions = report.agreement, report.sessions
    if not sessions:
        return []
    month = report.month.strftime("%Y-%m")
    tolerance_rule = rule(division=agreement.division, key="operations.session_tolerance")
    length_rule = rule(division=agreement.division, key="operations.session_min_minutes")
    tolerance = Decimal(str(param(division=agreement.division, key="operations.session_tolerance")))
    min_minutes = int(param(division=agreement.division, key="operations.session_min_minutes"))
    schedule = schedule_in_month(agreement, report.month)

    def verdict(key: str, found: Rule | None, figure: str, requirement: str, message: str, title: str = "") -> Verdict:
        title = title or (found.title if found is not None else _("Sessions reported against the schedule"))
        return Verdict(key, title, found.source.tag if found is not None else "platform", figure[:120], requirement[:120],
                       message[:300], Severity.WARNING)

    if not schedule.bookings:
        return [verdict(
            "operations.session_tolerance", tolerance_rule,
            _("%(reported)s sessions reported, no booking of the rooms") % {"reported": sessions},
            _("sessions held in the agreement's booked hours"),
            _("%(month)s: %(reported)s sessions reported, but the agreement's rooms had no booking that month; please "
              "check.") % {"month": month, "reported": sessions}, title=_("Sessions reported against the schedule"))]
    verdicts = []
    possible = sessions_possible(schedule.hours, min_minutes)
    hours = f"{schedule.hours:g}"
    if sessions > possible:
        verdicts.append(verdict(
            "operations.session_min_minutes", length_rule,
            _("%(reported)s sessions reported, %(hours)s hours booked") % {"reported": sessions, "hours": hours},
            _("at most %(possible)s sessions of %(minutes)s minutes") % {"possible": possible, "minutes": min_minutes},
            _("%(month)s: %(reported)s sessions reported, but the rooms were booked for %(hours)s hours, enough for at most "
              "%(possible)s sessions of %(minutes)s minutes; please check.") % {
                "month": month, "reported": sessions, "hours": hours, "possible": possible, "minutes": min_minutes}))
    for key, label, count in (("operations.session_tolerance", _("booked"), schedule.bookings),
                              ("operations.session_checkins", _("checked in"), schedule.checked_in)):
        if count and sessions > count * (1 + tolerance):
            verdicts.append(verdict(
                key, tolerance_rule,
                _("%(reported)s sessions reported, %(count)s %(label)s") % {"reported": sessions, "count": count, "label": label},
                _("within %(tol)s of the schedule") % {"tol": _pct(tolerance)},
                _("%(month)s: %(reported)s sessions reported, but the rooms were %(label)s for %(count)s; please check.") % {
                    "month": month, "reported": sessions, "label": label, "count": count}))
    return verdicts


def judge_report(report: OperatingReport) -> list[Verdict]:
    """What the rules say of one month's figures, and how they compare with the bookings."""
    agreement = report.agreement
    verdicts = []
    classes = agreement_classes(agreement)
    sessions = report.sessions
    public = report.sessions_free + report.sessions_low_cost
    for found in _applicable(agreement, classes):
        p = found.params
        if found.kind == "public_benefit_share_min" and sessions:
            share = Decimal(public) / sessions
            if share < Decimal(str(p["min_share"])):
                verdicts.append(_verdict(
                    found, _("%(public)s of %(all)s sessions free or low-cost (%(share)s)") % {
                        "public": public, "all": sessions, "share": _pct(share)},
                    f"≥ {_pct(p['min_share'])}",
                    _("%(month)s: free and low-cost sessions were %(share)s of all; at least %(min)s is required.") % {
                        "month": report.month.strftime("%Y-%m"), "share": _pct(share), "min": _pct(p["min_share"])}))
        elif found.kind == "paid_income_within_cost":
            limit = report.operating_cost * Decimal(str(p["max_ratio"]))
            if report.revenue > limit:
                verdicts.append(_verdict(
                    found, _("paid income ¥%(income)s, running cost ¥%(cost)s") % {
                        "income": f"{report.revenue:,.2f}", "cost": f"{report.operating_cost:,.2f}"},
                    _("paid income ≤ %(share)s of the running cost") % {"share": _pct(p["max_ratio"])},
                    _("%(month)s: paid income ¥%(income)s is above the cost of running the service (¥%(cost)s) by ¥%(over)s.")
                    % {"month": report.month.strftime("%Y-%m"), "income": f"{report.revenue:,.2f}",
                       "cost": f"{report.operating_cost:,.2f}", "over": f"{report.revenue - limit:,.2f}"}))
    verdicts += _schedule_verdicts(report)
    checked_in = attendance_in_month(agreement, report.month)
    if checked_in and report.people < checked_in:
        verdicts.append(Verdict(
            "operations.attendance_check", _("Person-times reported against check-ins"), "platform",
            _("%(reported)s person-times reported, %(count)s checked in on the platform") % {
                "reported": report.people, "count": checked_in},
            _("at least the check-ins recorded"),
            _("%(month)s: the report counts %(reported)s person-times, but %(count)s were checked in at the operator's "
              "activities under this agreement; please check.") % {
                "month": report.month.strftime("%Y-%m"), "reported": report.people, "count": checked_in},
            Severity.WARNING))
    return verdicts


def findings_refresh(*, agreement: Agreement, report: OperatingReport | None = None, now: datetime | None = None) -> list[Finding]:
    """Judge the agreement (or one report) again and keep its open findings in step. Returns those open now.

    Findings are written in the platform's language (Chinese), whoever's request caused the check,
    since they are records that the street and the bureau read later."""
    with translation.override(settings.LANGUAGE_CODE):
        return _findings_refresh(agreement=agreement, report=report, now=now or timezone.now())


def _findings_refresh(*, agreement: Agreement, report: OperatingReport | None, now: datetime) -> list[Finding]:
    agreement = Agreement.objects.prefetch_related("spaces__room__site", "services").select_related("division").get(
        pk=agreement.pk)
    if report is not None:
        report.agreement = agreement
    verdicts = judge_report(report) if report is not None else (
        judge_agreement(agreement) if agreement.status == AgreementStatus.ACTIVE else [])
    open_findings = {f.rule_key: f for f in Finding.objects.filter(agreement=agreement, report=report, resolved_at__isnull=True)}
    current = []
    for verdict in verdicts:
        finding = open_findings.pop(verdict.rule_key, None) or Finding(agreement=agreement, report=report, found_at=now)
        for name in ("rule_key", "title", "source", "figure", "requirement", "message", "severity"):
            setattr(finding, name, getattr(verdict, name))
        finding.save()
        current.append(finding)
    Finding.objects.filter(pk__in=[f.pk for f in open_findings.values()]).update(resolved_at=now)
    return current


def findings_refresh_all(*, agreements, now: datetime | None = None) -> int:
    """Judge many agreements and their reports again (after the city changes its rules). Returns the open findings."""
    total = 0
    for agreement in agreements:
        total += len(findings_refresh(agreement=agreement, now=now))
        for report in agreement.reports.all():
            total += len(findings_refresh(agreement=agreement, report=report, now=now))
    return total

