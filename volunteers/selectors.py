"""Every read of the volunteers module, scoped through ``accounts.permissions`` (an outsider gets 404).

Totals read kept figures: a volunteer's time bank is ``Volunteer.confirmed_minutes``; a community's,
street's or district's hours are the sum of ``HoursMonthTotal`` rows below it. Both can be
recomputed from the confirmed records (``volunteers_unreconciled``, ``month_totals_unreconciled``).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth

from accounts.permissions import get_for_user, visible_to
from org.models import Division, DivisionLevel

from .models import (
    Application,
    ApplicationStatus,
    GridRole,
    HoursMonthTotal,
    Opportunity,
    OpportunityStatus,
    RecordStatus,
    ServiceRecord,
    Team,
    Volunteer,
)


def hours(minutes: int | None) -> Decimal:
    return (Decimal(minutes or 0) / 60).quantize(Decimal("0.1"))


def volunteer_of(user) -> Volunteer | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Volunteer.objects.filter(user=user).select_related("community").first()


def volunteer_list(*, user, within: Division | None = None, q: str = ""):
    rows = visible_to(user, "volunteers.view_volunteer", Volunteer.objects.select_related("community"))
    if within is not None:
        rows = rows.filter(community__path__under=within.path)
    if q:
        rows = rows.filter(Q(real_name__icontains=q) | Q(phone__contains=q))
    return rows.order_by("-confirmed_minutes", "id")


def volunteer_get(*, user, pk: int) -> Volunteer:
    return get_for_user(user, "volunteers.view_volunteer", Volunteer.objects.select_related("community", "user"), pk=pk)


def team_list(*, user, within: Division | None = None):
    rows = visible_to(user, "volunteers.view_team", Team.objects.select_related("community", "organisation"))
    if within is not None:
        rows = rows.filter(community__path__under=within.path)
    return rows.annotate(members=Count("memberships")).order_by("community__path", "name")


def team_get(*, user, pk: int) -> Team:
    return get_for_user(user, "volunteers.view_team", Team.objects.select_related("community", "organisation"), pk=pk)


def team_hours(team: Team) -> Decimal:
    """Hours confirmed at the team's opportunities."""
    total = ServiceRecord.objects.filter(opportunity__team=team, status=RecordStatus.CONFIRMED).aggregate(m=Sum("minutes"))["m"]
    return hours(total)


def teams_of(volunteer: Volunteer) -> list[Team]:
    return list(Team.objects.filter(memberships__volunteer=volunteer).select_related("community").order_by("name"))


def grid_roles(*, user, within: Division | None = None):
    rows = visible_to(user, "volunteers.view_gridrole", GridRole.objects.select_related("grid", "volunteer"))
    if within is not None:
        rows = rows.filter(grid__path__under=within.path)
    return rows


def opportunity_list(*, user, within: Division | None = None, upcoming_from=None):
    rows = visible_to(user, "volunteers.view_opportunity", Opportunity.objects.select_related("community", "organiser", "team"))
    if within is not None:
        rows = rows.filter(community__path__under=within.path)
    if upcoming_from is not None:
        rows = rows.filter(status=OpportunityStatus.OPEN, ends_at__gt=upcoming_from)
    return rows.order_by("starts_at", "id")


def opportunity_get(*, user, pk: int) -> Opportunity:
    return get_for_user(user, "volunteers.view_opportunity",
                        Opportunity.objects.select_related("community", "organiser", "team", "activity", "need", "service_order",
                                                           "project"), pk=pk)


def projects_to_link(*, user, communities, today: date):
    """The 五社联动 projects of ``communities`` an opportunity may be published for: those ``user`` reads
    that have not ended by ``today``, by community and title."""
    from governance.selectors import project_list

    return (project_list(user=user).filter(community__in=list(communities))
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today)).order_by("community__path", "title", "id"))


def project_opportunities(*, user, project) -> list[Opportunity]:
    """The volunteer opportunities published for a 五社联动 project that ``user`` reads, each with the
    volunteers who signed in (``signed``) and its confirmed hours (``confirmed_hours``), in one query."""
    rows = (visible_to(user, "volunteers.view_opportunity", Opportunity.objects.filter(project=project))
            .annotate(signed=Count("records__volunteer", distinct=True),
                      confirmed_minutes=Sum("records__minutes", filter=Q(records__status=RecordStatus.CONFIRMED)))
            .order_by("starts_at", "id"))
    found = list(rows)
    for item in found:
        item.confirmed_hours = hours(item.confirmed_minutes)
    return found


def application_get(*, user, pk: int) -> Application:
    return get_for_user(user, "volunteers.view_application",
                        Application.objects.select_related("opportunity__community", "opportunity__organiser", "volunteer"), pk=pk)


def applications_for(opportunity: Opportunity):
    return opportunity.applications.select_related("volunteer").order_by("applied_at", "id")


def application_of(volunteer: Volunteer | None, opportunity: Opportunity) -> Application | None:
    if volunteer is None:
        return None
    return (Application.objects.filter(opportunity=opportunity, volunteer=volunteer)
            .order_by("-applied_at", "-id").first())


def applications_of(volunteer: Volunteer, *, not_ended_at=None):
    """The volunteer's applications waiting or accepted, soonest first; with ``not_ended_at``, only for
    opportunities that have not ended by then (what is still to come; the past is in the time bank)."""
    applications = volunteer.applications.filter(status__in=[ApplicationStatus.APPLIED, ApplicationStatus.ACCEPTED])
    if not_ended_at is not None:
        applications = applications.filter(opportunity__ends_at__gt=not_ended_at)
    return applications.select_related("opportunity__community").order_by("opportunity__starts_at")


def record_get(*, user, pk: int) -> ServiceRecord:
    return get_for_user(user, "volunteers.view_servicerecord",
                        ServiceRecord.objects.select_related("opportunity__community", "opportunity__organiser", "volunteer"), pk=pk)


def records_for(opportunity: Opportunity):
    return opportunity.records.select_related("volunteer", "confirmed_by").order_by("volunteer__real_name", "signed_in_at")


def records_of(volunteer: Volunteer):
    return volunteer.records.select_related("opportunity", "community").order_by("-signed_in_at", "-id")


def open_record(volunteer: Volunteer | None, opportunity: Opportunity | None = None) -> ServiceRecord | None:
    if volunteer is None:
        return None
    rows = ServiceRecord.objects.filter(volunteer=volunteer, signed_out_at__isnull=True)
    if opportunity is not None:
        rows = rows.filter(opportunity=opportunity)
    return rows.select_related("opportunity").first()


def record_list(*, user, within: Division | None = None, status: str | None = None, since: date | None = None, until: date | None = None):
    rows = visible_to(user, "volunteers.view_servicerecord",
                      ServiceRecord.objects.select_related("volunteer", "opportunity__organiser", "community", "confirmed_by"))
    if within is not None:
        rows = rows.filter(community__path__under=within.path)
    if status:
        rows = rows.filter(status=status)
    if since:
        rows = rows.filter(signed_in_at__date__gte=since)
    if until:
        rows = rows.filter(signed_in_at__date__lte=until)
    return rows.order_by("-signed_in_at", "-id")


# The time bank.

@dataclass
class TimeBank:
    confirmed: Decimal
    pending: Decimal
    records: int
    by_month: list[tuple[date, Decimal]]


def time_bank(volunteer: Volunteer) -> TimeBank:
    """The volunteer's balance (kept), the hours awaiting confirmation and the confirmed hours by month."""
    pending = volunteer.records.filter(status=RecordStatus.PENDING).aggregate(m=Sum("minutes"))["m"]
    months = (volunteer.records.filter(status=RecordStatus.CONFIRMED).annotate(month=TruncMonth("signed_in_at"))
              .values("month").annotate(m=Sum("minutes")).order_by("-month")[:12])
    return TimeBank(confirmed=hours(volunteer.confirmed_minutes), pending=hours(pending),
                    records=volunteer.records.filter(status=RecordStatus.CONFIRMED).count(),
                    by_month=[(row["month"], hours(row["m"])) for row in months])


def balance_from_records(volunteer_id: int) -> int:
    return ServiceRecord.objects.filter(volunteer_id=volunteer_id, status=RecordStatus.CONFIRMED).aggregate(m=Sum("minutes"))["m"] or 0


def volunteers_unreconciled() -> list[int]:
    """Volunteers whose kept time bank differs from the sum of their confirmed records (none, normally)."""
    sums = dict(ServiceRecord.objects.filter(status=RecordStatus.CONFIRMED).values("volunteer_id")
                .annotate(m=Sum("minutes")).values_list("volunteer_id", "m").order_by())
    return [pk for pk, kept in Volunteer.objects.values_list("pk", "confirmed_minutes") if kept != sums.get(pk, 0)]


def month_totals_unreconciled() -> list[tuple[int, date]]:
    """(community, month) whose kept total differs from the confirmed records served there that month."""
    from django.utils import timezone

    counted: dict[tuple[int, date], int] = {}
    for community_id, signed_in_at, minutes in (ServiceRecord.objects.filter(status=RecordStatus.CONFIRMED)
                                                 .values_list("community_id", "signed_in_at", "minutes")):
        key = (community_id, timezone.localtime(signed_in_at).date().replace(day=1))
        counted[key] = counted.get(key, 0) + minutes
    kept = {(c, m): v for c, m, v in HoursMonthTotal.objects.values_list("community_id", "month", "minutes")}
    return sorted(k for k in set(counted) | set(kept) if counted.get(k, 0) != kept.get(k, 0))


# Totals for supervisors: by street and district.

@dataclass
class HoursRow:
    division: Division
    hours: Decimal
    volunteers: int


def hours_by_division(*, within: Division, since: date | None = None, until: date | None = None) -> list[HoursRow]:
    """Confirmed hours served below ``within``, for each division one level down (a district's streets, a
    street's communities; a street's own opportunities count for the street), with the volunteers living
    there; from the kept month totals (``since``/``until`` are months, inclusive)."""
    children = list(Division.objects.filter(parent=within).exclude(level=DivisionLevel.GRID).order_by("code"))
    totals = HoursMonthTotal.objects.filter(community__path__under=within.path)
    if since:
        totals = totals.filter(month__gte=since.replace(day=1))
    if until:
        totals = totals.filter(month__lte=until.replace(day=1))
    by_path = list(totals.values_list("community__path").annotate(m=Sum("minutes")).order_by())
    people = list(Volunteer.objects.filter(community__path__under=within.path).values_list("community__path")
                  .annotate(n=Count("id")).order_by())
    rows = []
    for child in children:
        minutes = sum(m for path, m in by_path if path.startswith(child.path))
        count = sum(n for path, n in people if path.startswith(child.path))
        rows.append(HoursRow(division=child, hours=hours(minutes), volunteers=count))
    own = sum(m for path, m in by_path if path == within.path)
    if own:
        rows.append(HoursRow(division=within, hours=hours(own), volunteers=0))
    return rows


def district_totals(*, within: Division) -> dict:
    """What a district's page shows: hours per community and per street of it (kept month totals), and the
    time banks of its volunteers, most hours first (the first 50)."""
    by_community = dict(HoursMonthTotal.objects.filter(community__path__under=within.path)
                        .values_list("community_id").annotate(m=Sum("minutes")).order_by())
    places = list(Division.objects.filter(path__under=within.path, level__in=[DivisionLevel.STREET, DivisionLevel.COMMUNITY])
                  .values_list("pk", "parent_id", "level"))
    by_street: dict[int, int] = {}
    for pk, parent_id, level in places:
        street = pk if level == DivisionLevel.STREET else parent_id
        by_street[street] = by_street.get(street, 0) + by_community.get(pk, 0)
    balances = list(Volunteer.objects.filter(community__path__under=within.path).order_by("-confirmed_minutes", "id")
                    .values_list("pk", "real_name", "confirmed_minutes")[:50])
    return {"by_community": by_community, "by_street": by_street, "balances": balances,
            "total": sum(by_community.values())}
