"""Reading space for service: admitted operators, agreements in force, their services, reports and findings.

Lists for a person go through ``accounts.permissions`` (an operator sees only its own
agreements and reports). The helpers that other modules use to find who may serve a community
(``admitted_operators``, ``services_offered``) read without a user: they answer a question about
the community, not about a person's rights. Figures for many agreements (savings, reports due,
breaches by place) are made in a few GROUP BY queries whatever the number of rows.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from accounts.permissions import get_for_user, visible_to
from core.pickers import LIMIT, Option
from core.scoping import ancestor_paths
from org.models import Division, DivisionLevel, Organisation
from org.selectors import organisation_choices
from rulepack.selectors import param

from .models import (
    ZERO,
    Admission,
    AdmissionStatus,
    Agreement,
    AgreementService,
    AgreementStatus,
    Finding,
    Funding,
    Interest,
    OfferStatus,
    OperatingReport,
    PartnershipOffer,
    Qualification,
    ReportStatus,
    Severity,
    month_after,
)


def _places_above(division: Division) -> list[str]:
    """The paths of ``division`` and every division above it."""
    return [*ancestor_paths(division.path), division.path]


# Who may serve a community (read by other modules, without a user).

def blacklisted_operator_ids(*, division: Division) -> set[int]:
    """Operators blacklisted at this division or at any division above it."""
    return set(Admission.objects.filter(status=AdmissionStatus.BLACKLISTED, division__path__in=_places_above(division))
               .values_list("operator_id", flat=True))


def admissions_in_force(*, division: Division, on: date | None = None) -> QuerySet[Admission]:
    """Admissions that let an operator work in ``division`` on ``on``: granted here or above, valid that day."""
    on = on or timezone.localdate()
    return Admission.objects.filter(status=AdmissionStatus.ADMITTED, division__path__in=_places_above(division),
                                    valid_from__lte=on, valid_until__gte=on).exclude(
        operator_id__in=blacklisted_operator_ids(division=division))


def admitted_operators(*, division: Division, on: date | None = None, category: str | None = None) -> QuerySet[Organisation]:
    """Operators currently admitted for ``division`` (by its street, district or city), optionally
    only those admitted for a service ``category``."""
    admissions = admissions_in_force(division=division, on=on)
    if category:
        ids = [operator_id for operator_id, categories in admissions.values_list("operator_id", "categories")
               if category in categories]
    else:
        ids = admissions.values("operator_id")
    return Organisation.objects.filter(pk__in=ids, is_active=True).order_by("name")


def admitted_operator_options(*, division: Division, q: str = "", ids: list[int] | None = None, limit: int = LIMIT) -> list[Option]:
    """The operators admitted for ``division``, for a picker: those whose name contains ``q``."""
    operators = admitted_operators(division=division).select_related("home_division")
    if q:
        operators = operators.filter(name__icontains=q)
    if ids is not None:
        operators = operators.filter(pk__in=ids)
    return organisation_choices(operators[:limit])


def admission_standing(*, operator: Organisation, division: Division, on: date | None = None) -> str:
    """Where ``operator`` stands for work in ``division`` on ``on``: ``"blacklisted"`` there or above,
    ``"admitted"`` (an admission in force), ``"suspended"`` (no admission in force, one suspended), or
    ``"not_admitted"``."""
    if operator.pk in blacklisted_operator_ids(division=division):
        return "blacklisted"
    if admissions_in_force(division=division, on=on).filter(operator=operator).exists():
        return "admitted"
    if Admission.objects.filter(operator=operator, status=AdmissionStatus.SUSPENDED, division__path__in=_places_above(division)).exists():
        return "suspended"
    return "not_admitted"


def agreements_in_force(*, on: date | None = None) -> QuerySet[Agreement]:
    on = on or timezone.localdate()
    return Agreement.objects.filter(status=AgreementStatus.ACTIVE, starts_on__lte=on).filter(
        Q(terminated_on__isnull=True, ends_on__gte=on) | Q(terminated_on__gte=on))


def services_offered(*, division: Division, on: date | None = None) -> QuerySet[AgreementService]:
    """Services under agreements in force for ``division``: its own and those of the street above it."""
    agreements = agreements_in_force(on=on).filter(division__path__in=_places_above(division))
    return (AgreementService.objects.filter(agreement__in=agreements)
            .select_related("agreement__operator", "agreement__division").order_by("category", "tier", "name"))


# Lists and objects for a user.

def admission_list(*, user, within: Division | None = None, status: str | None = None) -> QuerySet[Admission]:
    admissions = visible_to(user, "operations.view_admission", Admission.objects.select_related("operator", "division"))
    if within is not None:
        admissions = admissions.filter(division__path__under=within.path)
    if status:
        admissions = admissions.filter(status=status)
    return admissions


def admission_get(*, user, pk: int) -> Admission:
    return get_for_user(user, "operations.view_admission", Admission.objects.select_related(
        "operator", "division", "applied_by", "reviewed_by"), pk=pk)


def qualification_list(*, user, operator: Organisation) -> QuerySet[Qualification]:
    return visible_to(user, "operations.view_qualification", Qualification.objects.filter(operator=operator))


def agreement_list(*, user, within: Division | None = None, status: str | None = None,
                   operator: Organisation | None = None) -> QuerySet[Agreement]:
    agreements = visible_to(user, "operations.view_agreement", Agreement.objects.select_related("division", "operator"))
    if within is not None:
        agreements = agreements.filter(division__path__under=within.path)
    if status == "in_force":
        agreements = agreements.filter(pk__in=agreements_in_force().values("pk"))
    elif status:
        agreements = agreements.filter(status=status)
    if operator is not None:
        agreements = agreements.filter(operator=operator)
    return agreements.annotate(open_breaches=Count("findings", filter=Q(findings__resolved_at__isnull=True,
                                                                        findings__severity=Severity.BREACH))).order_by(
        "-starts_on", "-id")


def agreement_get(*, user, pk: int) -> Agreement:
    return get_for_user(user, "operations.view_agreement", Agreement.objects.select_related(
        "division", "operator", "admission", "drafted_by", "decided_by", "renewal_of").prefetch_related(
        "spaces__room__site", "services", "shares"), pk=pk)


def report_list(*, user, agreement: Agreement | None = None, within: Division | None = None,
                status: str | None = None) -> QuerySet[OperatingReport]:
    reports = visible_to(user, "operations.view_operatingreport",
                         OperatingReport.objects.select_related("agreement__division", "agreement__operator"))
    if agreement is not None:
        reports = reports.filter(agreement=agreement)
    if within is not None:
        reports = reports.filter(agreement__division__path__under=within.path)
    if status:
        reports = reports.filter(status=status)
    return reports


def report_get(*, user, pk: int) -> OperatingReport:
    return get_for_user(user, "operations.view_operatingreport", OperatingReport.objects.select_related(
        "agreement__division", "agreement__operator", "submitted_by", "decided_by", "fund_income",
        "fund_hold__income").prefetch_related("photos"), pk=pk)


def place_has_fund(division: Division) -> bool:
    """Whether the place has a community development fund to take a confirmed report's share."""
    from funds.models import Fund

    return Fund.objects.filter(division=division).exists()


def finding_list(*, user, within: Division | None = None, open_only: bool = True,
                 agreement: Agreement | None = None) -> QuerySet[Finding]:
    findings = visible_to(user, "operations.view_finding", Finding.objects.select_related(
        "agreement__division", "agreement__operator", "report"))
    if within is not None:
        findings = findings.filter(agreement__division__path__under=within.path)
    if agreement is not None:
        findings = findings.filter(agreement=agreement)
    if open_only:
        findings = findings.filter(resolved_at__isnull=True)
    return findings.order_by("severity", "agreement__division__code", "-found_at")


def funding_list(*, user, within: Division | None = None, kind: str | None = None) -> QuerySet[Funding]:
    fundings = visible_to(user, "operations.view_funding", Funding.objects.select_related(
        "division", "funder", "recipient", "department", "site"))
    if within is not None:
        fundings = fundings.filter(Q(division__path__under=within.path) | Q(funder__path__under=within.path))
    if kind:
        fundings = fundings.filter(kind=kind)
    return fundings


def funding_get(*, user, pk: int) -> Funding:
    return get_for_user(user, "operations.view_funding", Funding.objects.select_related(
        "division", "funder", "recipient", "department", "site").prefetch_related("milestones__payments", "payments"), pk=pk)


def offer_list(*, user, within: Division | None = None, open_only: bool = False) -> QuerySet[PartnershipOffer]:
    offers = visible_to(user, "operations.view_partnershipoffer", PartnershipOffer.objects.select_related(
        "room__site", "division", "agreement")).annotate(
        proposals=Count("interests", filter=~Q(interests__status="withdrawn"))).order_by("-published_at", "-id")
    if within is not None:
        offers = offers.filter(division__path__under=within.path)
    if open_only:
        offers = offers.filter(status=OfferStatus.OPEN, closes_on__gte=timezone.localdate())
    return offers


def offer_get(*, user, pk: int) -> PartnershipOffer:
    return get_for_user(user, "operations.view_partnershipoffer", PartnershipOffer.objects.select_related(
        "room__site", "division", "agreement", "published_by"), pk=pk)


@dataclass
class IdleRoom:
    room: object
    rate: float


def idle_rooms_to_offer(*, user, within: Division, today: date | None = None) -> list[IdleRoom]:
    """Service rooms in ``within`` that scheduling counts as idle over the city's usage window
    (``scheduling.selectors.idle_rooms``, least used first) and that are not on offer."""
    from registry.models import Room, RoomUse
    from scheduling.selectors import idle_rooms, usage_period

    rates = {usage.key: usage.rate for usage in idle_rooms(user=user, within=within,
                                                           period=usage_period(division=within, today=today))}
    # A unit's open resource (its sports ground, its car park) is not the community's to offer to partners.
    rooms = {room.pk: room for room in Room.objects.filter(pk__in=rates, use=RoomUse.SERVICE, closed_on__isnull=True,
                                                           open_resource__isnull=True).exclude(
        partnership_offers__status=OfferStatus.OPEN).select_related("site__division")}
    return [IdleRoom(room=rooms[pk], rate=rate) for pk, rate in rates.items() if pk in rooms]


def interests_for(*, user, offer: PartnershipOffer) -> QuerySet[Interest]:
    """Proposals for an offer: every one for the community's staff, an operator's own for an operator."""
    return visible_to(user, "operations.view_interest", offer.interests.select_related("operator"))


# Figures.

@dataclass
class Savings:
    """What operators bear that the government would otherwise pay [Zibo: ¥600k once, ¥200k+ a year], by period.

    ``renovation`` and ``running`` are those of ``year``: renovation borne in the year the agreement
    started, running costs for the days of the year the agreement ran (its yearly running costs pro rata
    by days; in the current year up to today). The ``_to_date`` figures add every year up to today, so
    they never fall when an agreement ends. ``running_per_year`` is the yearly running costs of the
    agreements in force today (a rate, not money already saved)."""

    division: Division | None = None
    year: int = 0
    agreements: int = 0  # agreements that ran on some day of the year
    renovation: Decimal = ZERO
    running: Decimal = ZERO
    reported_costs: Decimal = ZERO  # operating costs in the year's confirmed reports
    renovation_to_date: Decimal = ZERO
    running_to_date: Decimal = ZERO
    in_force: int = 0  # agreements in force today
    running_per_year: Decimal = ZERO
    since: date | None = None  # the first agreement's start (the to-date figures count from it)

    @property
    def total(self) -> Decimal:
        return self.renovation + self.running

    @property
    def total_to_date(self) -> Decimal:
        return self.renovation_to_date + self.running_to_date


def _days(year: int) -> int:
    return (date(year + 1, 1, 1) - date(year, 1, 1)).days


def running_by_year(yearly: Decimal, first: date, last: date) -> dict[int, Decimal]:
    """Yearly running costs ``yearly`` for the days ``first``–``last`` (both included), year by year, pro rata by days."""
    shares = {}
    for year in range(first.year, last.year + 1):
        days = (min(last, date(year, 12, 31)) - max(first, date(year, 1, 1))).days + 1
        if days > 0:
            shares[year] = (yearly * days / _days(year)).quantize(Decimal("0.01"))
    return shares


def savings_years(*, within: Division, today: date | None = None) -> list[int]:
    """The years with savings to show for ``within``: from the first agreement's start to this year, latest first."""
    today = today or timezone.localdate()
    first = Agreement.objects.filter(division__path__under=within.path, status__in=[
        AgreementStatus.ACTIVE, AgreementStatus.TERMINATED], starts_on__lte=today).order_by("starts_on").values_list(
        "starts_on", flat=True).first()
    return list(range(today.year, (first.year if first else today.year) - 1, -1))


def savings(*, within: Division, year: int | None = None, by_child: bool = False,
            today: date | None = None) -> "Savings | list[Savings]":
    """Savings to government for ``within`` (or each division one level down) in ``year`` and to date.

    Counts every agreement that went into force (in force, ended or terminated): one query for the
    agreements and one for the reported costs, the days by year in Python."""
    today = today or timezone.localdate()
    year = year or today.year
    agreements = Agreement.objects.filter(division__path__under=within.path, status__in=[
        AgreementStatus.ACTIVE, AgreementStatus.TERMINATED], starts_on__lte=today).values_list(
        "division__path", "status", "starts_on", "ends_on", "terminated_on", "operator_renovation_cost", "operator_running_cost")
    costs = OperatingReport.objects.filter(agreement__division__path__under=within.path, status=ReportStatus.CONFIRMED,
                                           month__year=year).values_list("agreement__division__path").annotate(
        total=Sum("operating_cost")).order_by()
    total = Savings(division=within, year=year)
    children = {child.path: Savings(division=child, year=year)
                for child in Division.objects.filter(parent=within).order_by("code")} if by_child else {}
    depth = within.path.count("/") + 1

    def rows_for(path: str) -> list[Savings]:
        if not by_child:
            return [total]
        row = children.get("/".join(path.split("/")[:depth]) + "/")
        return [row] if row is not None else []

    for path, status, starts_on, ends_on, terminated_on, renovation, running in agreements:
        last = min(terminated_on, ends_on) if terminated_on else ends_on
        shares = running_by_year(running or ZERO, starts_on, min(last, today))
        for row in rows_for(path):
            row.since = min(row.since or starts_on, starts_on)
            row.renovation_to_date += renovation or ZERO
            row.running_to_date += sum(shares.values(), ZERO)
            if starts_on.year == year:
                row.renovation += renovation or ZERO
            if year in shares or starts_on.year == year:
                row.agreements += 1
                row.running += shares.get(year, ZERO)
            if status == AgreementStatus.ACTIVE and last >= today:  # as ``agreements_in_force``
                row.in_force += 1
                row.running_per_year += running or ZERO
    for path, reported in costs:
        for row in rows_for(path):
            row.reported_costs += reported or ZERO
    for row in [total, *children.values()]:
        row.reported_costs = row.reported_costs.quantize(Decimal("0.01"))
    return list(children.values()) if by_child else total


@dataclass
class ReportDue:
    agreement: Agreement
    month: date
    due_on: date
    days_late: int


def months_between(first: date, last: date) -> list[date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = month_after(month)
    return months


def reports_due(*, agreements: QuerySet[Agreement], today: date | None = None) -> list[ReportDue]:
    """Months of agreements that are over and whose report is late or missing (the pack's due day has passed).

    One query for the agreements and one for the months reported, whatever their number."""
    today = today or timezone.localdate()
    agreements = list(agreements.filter(status__in=[AgreementStatus.ACTIVE, AgreementStatus.TERMINATED],
                                        starts_on__lt=today.replace(day=1)).select_related("division", "operator"))
    if not agreements:
        return []
    reported = set(OperatingReport.objects.filter(agreement__in=agreements).exclude(status=ReportStatus.RETURNED)
                   .values_list("agreement_id", "month"))
    due_day = int(param(division=agreements[0].division, key="operations.report_due_day"))
    this_month = today.replace(day=1)
    due = []
    for agreement in agreements:
        for month in months_between(agreement.starts_on, min(agreement.last_day, this_month - timedelta(days=1))):
            due_on = month_after(month) + timedelta(days=due_day - 1)
            if (agreement.pk, month) not in reported and due_on < today:
                due.append(ReportDue(agreement=agreement, month=month, due_on=due_on, days_late=(today - due_on).days))
    return sorted(due, key=lambda d: (-d.days_late, d.agreement.division.code))


@dataclass
class PlaceCompliance:
    division: Division
    agreements: int = 0
    with_breach: int = 0
    breaches: int = 0
    warnings: int = 0
    findings: list = field(default_factory=list)


def compliance_by_place(*, user, within: Division) -> tuple[PlaceCompliance, list[PlaceCompliance]]:
    """Agreements in force and their open findings, for ``within`` and each division one level down,
    with the findings themselves (figures and requirement) for the page."""
    child_level = {DivisionLevel.CITY: DivisionLevel.DISTRICT, DivisionLevel.DISTRICT: DivisionLevel.STREET,
                   DivisionLevel.STREET: DivisionLevel.COMMUNITY}.get(within.level)
    children = {c.path: PlaceCompliance(division=c) for c in Division.objects.filter(parent=within, level=child_level)
                .order_by("code")} if child_level else {}
    total = PlaceCompliance(division=within)
    depth = within.path.count("/") + 1

    def rows_for(path: str):
        return [r for r in (total, children.get("/".join(path.split("/")[:depth]) + "/")) if r is not None]

    in_force = visible_to(user, "operations.view_agreement", agreements_in_force().filter(division__path__under=within.path))
    for path, n in in_force.values_list("division__path").annotate(n=Count("id")).order_by():
        for row in rows_for(path):
            row.agreements += n
    breached = set()
    for finding in finding_list(user=user, within=within):
        for row in rows_for(finding.agreement.division.path):
            row.findings.append(finding)
            if finding.severity == Severity.BREACH:
                row.breaches += 1
            else:
                row.warnings += 1
        if finding.severity == Severity.BREACH and finding.agreement_id not in breached:
            breached.add(finding.agreement_id)
            for row in rows_for(finding.agreement.division.path):
                row.with_breach += 1
    return total, list(children.values())


def report_figures(report: OperatingReport) -> dict:
    """The report's figures beside the schedule of the agreement's rooms that month (as the checks read it)."""
    from .compliance import schedule_in_month, sessions_possible

    schedule = schedule_in_month(report.agreement, report.month)
    min_minutes = int(param(division=report.agreement.division, key="operations.session_min_minutes"))
    return {"booked": schedule.bookings, "checked_in": schedule.checked_in, "booked_hours": schedule.hours,
            "session_minutes": min_minutes, "sessions_possible": sessions_possible(schedule.hours, min_minutes),
            "revenue": report.revenue, "sessions": report.sessions,
            "people": report.people,
            "public_share": (report.sessions_free + report.sessions_low_cost) / report.sessions if report.sessions else None}


def agreement_detail(agreement: Agreement) -> dict:
    """What an agreement's page shows beside its terms: reports with findings, the year's totals, open findings."""
    reports = list(agreement.reports.prefetch_related(
        Prefetch("findings", queryset=Finding.objects.filter(resolved_at__isnull=True))).order_by("-month"))
    year = timezone.localdate().year
    this_year = [r for r in reports if r.month.year == year and r.status == ReportStatus.CONFIRMED]
    return {
        "reports": reports,
        "due": reports_due(agreements=Agreement.objects.filter(pk=agreement.pk)),
        "findings": list(agreement.findings.filter(resolved_at__isnull=True, report__isnull=True)),
        "year": {"revenue": sum((r.revenue for r in this_year), ZERO), "costs": sum((r.operating_cost for r in this_year), ZERO),
                 "people": sum(r.people for r in this_year), "sessions": sum(r.sessions for r in this_year),
                 "fund_share": sum((r.fund_share for r in this_year), ZERO)},
        "bookings_ahead": agreement_bookings_ahead(agreement),
    }


def agreement_bookings_ahead(agreement: Agreement) -> int:
    from scheduling.models import HOLDING, Booking

    return Booking.objects.filter(origin=f"agreement:{agreement.pk}", status__in=HOLDING, starts_at__gte=timezone.now()).count()
