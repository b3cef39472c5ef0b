"""Every read of community governance, always scoped by the permission table.

The admission list of a district is public to everyone at work or living in the district
(``may_read_list``); applications are the district bureau's; refused tasks and five-party projects
are read where their community is in the reader's scope. The supervisor's tables (``affairs_summary``,
``five_party_summary``) add the figures of communities up to their streets and districts.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum

from accounts.permissions import SERVED, SUBTREE, get_for_user, reaches, visible_to
from core.errors import NotFound
from core.scoping import ancestor_paths
from org.models import Division, DivisionLevel

from .models import (
    ZERO,
    Affair,
    AffairApplication,
    AffairApplicationStatus,
    AffairRole,
    ListVersion,
    Participation,
    PartnershipProject,
    Party,
    TaskRefusal,
)

FIVE = frozenset(Party.values)


# ----------------------------------------------------------------------------------------------
# The admission list
# ----------------------------------------------------------------------------------------------

def may_read_list(user, district: Division) -> bool:
    """Whether the district's list is open to ``user``: anyone whose reach is in the district or above it."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    for reach in reaches(user, "governance.view_affair"):
        if reach.kind in (SUBTREE, SERVED) and any(
                path.startswith(district.path) or district.path.startswith(path) for path in reach.paths):
            return True
    return False


def list_districts(*, user) -> QuerySet[Division]:
    """The districts whose admission list ``user`` reads: those of their roles, and those below a city role."""
    q = Q(pk__in=[])
    for reach in reaches(user, "governance.view_affair"):
        for path in reach.paths:
            parts = path.split("/")
            q |= Q(path__under=path) if len(parts) <= 2 else Q(path="/".join(parts[:2]) + "/")
    if getattr(user, "is_superuser", False) and user.is_active:
        q = Q()
    return Division.objects.filter(q, level=DivisionLevel.DISTRICT).order_by("path")


def district_get(*, user, code: str) -> Division:
    """A district whose list ``user`` may read (404 otherwise)."""
    district = Division.objects.filter(code=code, level=DivisionLevel.DISTRICT).first()
    if district is None or not may_read_list(user, district):
        raise NotFound()
    return district


def version_list(*, user, district: Division) -> QuerySet[ListVersion]:
    return visible_to(user, "governance.view_affair", ListVersion.objects.filter(district=district)).select_related(
        "created_by").order_by("-number")


def version_get(*, user, district: Division, number: int | None = None) -> ListVersion | None:
    """A version of the district's list (the one in force without ``number``); None when there is no list yet."""
    versions = version_list(user=user, district=district)
    if number is None:
        return versions.first()
    version = versions.filter(number=number).first()
    if version is None:
        raise NotFound()
    return version


def affair_list(*, user, version: ListVersion, role: str | None = None, q: str | None = None) -> QuerySet[Affair]:
    """The affairs on the list as ``version`` had it."""
    affairs = visible_to(user, "governance.view_affair", Affair.objects.on_version(version)).select_related(
        "department", "added_in")
    if role:
        affairs = affairs.filter(role=role)
    if q:
        affairs = affairs.filter(Q(title__icontains=q) | Q(legal_basis__icontains=q) | Q(department__name__icontains=q))
    return affairs.order_by("number", "id")


def affair_get(*, user, pk: int) -> Affair:
    return get_for_user(user, "governance.view_affair", Affair.objects.select_related("department", "district"), pk=pk)


def removed_in(*, version: ListVersion) -> QuerySet[Affair]:
    """The affairs ``version`` took off the list."""
    return Affair.objects.filter(removed_in=version).select_related("department").order_by("number")


def application_list(*, user, within: Division | None = None, status: str | None = None) -> QuerySet[AffairApplication]:
    applications = visible_to(user, "governance.view_affairapplication",
                              AffairApplication.objects.select_related("district", "department", "affair"))
    if within is not None:
        applications = applications.filter(district__path__under=within.path)
    if status:
        applications = applications.filter(status=status)
    return applications.order_by("-applied_at", "-id")


def application_get(*, user, pk: int) -> AffairApplication:
    return get_for_user(user, "governance.view_affairapplication",
                        AffairApplication.objects.select_related("district", "department", "affair", "decided_by"), pk=pk)


def refusal_list(*, user, within: Division | None = None) -> QuerySet[TaskRefusal]:
    refusals = visible_to(user, "governance.view_taskrefusal",
                          TaskRefusal.objects.select_related("community", "department", "version", "refused_by"))
    if within is not None:
        refusals = refusals.filter(community__path__under=within.path)
    return refusals.order_by("-refused_at", "-id")


def refusal_get(*, user, pk: int) -> TaskRefusal:
    return get_for_user(user, "governance.view_taskrefusal",
                        TaskRefusal.objects.select_related("community", "department", "version"), pk=pk)


# ----------------------------------------------------------------------------------------------
# The supervisor's tables
# ----------------------------------------------------------------------------------------------

def _summary_levels(within: Division) -> tuple[str, ...]:
    """The levels a summary of ``within`` shows rows for: down to streets, or communities for a street."""
    if within.level == DivisionLevel.STREET:
        return (DivisionLevel.STREET, DivisionLevel.COMMUNITY)
    if within.level == DivisionLevel.COMMUNITY:
        return (DivisionLevel.COMMUNITY,)
    return (DivisionLevel.CITY, DivisionLevel.DISTRICT, DivisionLevel.STREET)


def _rows_of(within: Division) -> dict[str, Division]:
    levels = _summary_levels(within)
    divisions = Division.objects.filter(path__under=within.path, level__in=levels).order_by("path")
    return {d.path: d for d in divisions}


def _up(path: str) -> list[str]:
    return [*ancestor_paths(path), path]


@dataclass
class AffairsRow:
    division: Division
    communities: int = 0
    host: int | None = None  # affairs the district's list in force has communities host (districts and below)
    assist: int | None = None
    refused_tasks: int = 0
    refused_applications: int = 0
    pending_applications: int = 0


def affairs_summary(*, user, within: Division) -> list[AffairsRow]:
    """For ``within`` and each district and street (or community) below it: the affairs on the list its
    communities work to, the tasks its communities refused, the applications its district refused."""
    rows = {path: AffairsRow(division=d) for path, d in _rows_of(within).items()}
    communities = Division.objects.filter(path__under=within.path, level=DivisionLevel.COMMUNITY).values_list("path", flat=True)
    for path in communities:
        for up in _up(path):
            if up in rows:
                rows[up].communities += 1
    district_paths = {}
    for path in rows:
        parts = path.split("/")
        if len(parts) >= 3:
            district_paths[path] = "/".join(parts[:2]) + "/"
    affair_counts = defaultdict(dict)
    wanted = set(district_paths.values())
    for district_path, role, n in (Affair.objects.current().filter(district__path__in=wanted)
                                   .values_list("district__path", "role").annotate(n=Count("id")).order_by()):
        affair_counts[district_path][role] = n
    for path, district_path in district_paths.items():
        if district_path in affair_counts:
            rows[path].host = affair_counts[district_path].get(AffairRole.HOST, 0)
            rows[path].assist = affair_counts[district_path].get(AffairRole.ASSIST, 0)
    for path, n in (refusal_list(user=user, within=within).order_by().values_list("community__path")
                    .annotate(n=Count("id"))):
        for up in _up(path):
            if up in rows:
                rows[up].refused_tasks += n
    for path, status, n in (application_list(user=user, within=within).order_by()
                            .filter(status__in=[AffairApplicationStatus.REFUSED, AffairApplicationStatus.PENDING])
                            .values_list("district__path", "status").annotate(n=Count("id"))):
        for up in _up(path):
            if up in rows:
                if status == AffairApplicationStatus.REFUSED:
                    rows[up].refused_applications += n
                else:
                    rows[up].pending_applications += n
    return list(rows.values())


@dataclass
class FivePartyRow:
    division: Division
    communities: int = 0
    communities_with_five: int = 0
    projects: int = 0
    five_party: int = 0
    money: Decimal = ZERO  # brought to the five-party projects by all their parties
    volunteer_hours: Decimal = Decimal("0.0")  # volunteers' hours in the five-party projects: recorded + typed
    recorded_hours: Decimal = Decimal("0.0")  # of which confirmed at the projects' volunteer opportunities
    typed_hours: Decimal = Decimal("0.0")  # of which typed on the volunteers' participations (served off the platform)
    _with_five: set = field(default_factory=set, repr=False)

    @property
    def share(self) -> float:
        return self.communities_with_five / self.communities if self.communities else 0.0


def project_list(*, user, within: Division | None = None, q: str | None = None) -> QuerySet[PartnershipProject]:
    projects = visible_to(user, "governance.view_project", PartnershipProject.objects.select_related("community"))
    if within is not None:
        projects = projects.filter(community__path__under=within.path)
    if q:
        projects = projects.filter(title__icontains=q)
    return projects.order_by("-starts_on", "-id")


def project_get(*, user, pk: int) -> PartnershipProject:
    return get_for_user(user, "governance.view_project", PartnershipProject.objects.select_related("community"), pk=pk)


@dataclass(frozen=True)
class ProjectFigures:
    """A project's parties and what they bring. Its volunteers' hours come from two places: the hours
    confirmed at the volunteer opportunities published for it (``recorded_hours``) and the hours typed on
    its volunteers' participations, which are hours served off the platform (``typed_hours``)."""

    parties: frozenset
    money: Decimal
    recorded_hours: Decimal
    typed_hours: Decimal
    hours: Decimal  # every party's typed hours plus the recorded hours

    @property
    def volunteer_hours(self) -> Decimal:
        return self.recorded_hours + self.typed_hours

    @property
    def all_five(self) -> bool:
        return self.parties >= FIVE


def recorded_hours(minutes: int | None) -> Decimal:
    """Confirmed minutes as hours, to the tenth (as the volunteers' pages show them)."""
    return (Decimal(minutes or 0) / 60).quantize(Decimal("0.1"))


def _confirmed_records():
    """The service records that count as a project's volunteer hours: confirmed ones."""
    # Imported here: volunteers' opportunities point at projects (a string foreign key), and governance
    # keeps importing nothing of volunteers while the apps load.
    from volunteers.models import RecordStatus, ServiceRecord

    return ServiceRecord.objects.filter(status=RecordStatus.CONFIRMED)


def with_recorded_minutes(projects: QuerySet[PartnershipProject]) -> QuerySet[PartnershipProject]:
    """``projects`` with ``recorded_minutes``: the confirmed minutes at their volunteer opportunities, as
    ``project_figures`` counts them (for the API's list, one query with the page)."""
    minutes = (_confirmed_records().filter(opportunity__project=OuterRef("pk")).order_by()
               .values("opportunity__project").annotate(m=Sum("minutes")).values("m"))
    return projects.annotate(recorded_minutes=Subquery(minutes))


def project_figures(projects) -> dict[int, ProjectFigures]:
    """Each project's parties, money and hours (``projects``: ids or a query of them), in two grouped queries:
    the participations, and the confirmed service records of the projects' volunteer opportunities."""
    parties, money, hours, typed = defaultdict(set), defaultdict(lambda: ZERO), defaultdict(Decimal), defaultdict(Decimal)
    rows = (Participation.objects.filter(project__in=projects).order_by().values_list("project_id", "party")
            .annotate(money=Sum("money"), hours=Sum("hours")))
    for project_id, party, m, h in rows:
        parties[project_id].add(party)
        money[project_id] += m or ZERO
        hours[project_id] += h or 0
        if party == Party.VOLUNTEERS:
            typed[project_id] += h or 0
    recorded = {project_id: recorded_hours(m) for project_id, m in (
        _confirmed_records().filter(opportunity__project__in=projects).order_by()
        .values_list("opportunity__project_id").annotate(m=Sum("minutes")))}
    return {pk: ProjectFigures(parties=frozenset(parties[pk]), money=money[pk], recorded_hours=recorded.get(pk, Decimal("0.0")),
                               typed_hours=typed[pk], hours=hours[pk] + recorded.get(pk, 0))
            for pk in set(parties) | set(recorded)}


def five_party_projects(projects) -> set[int]:
    """The ids among ``projects`` in which all five parties take part."""
    return {pk for pk, figures in project_figures(projects).items() if figures.all_five}


def five_party_summary(*, user, within: Division, on: date | None = None) -> list[FivePartyRow]:
    """For ``within`` and each district and street (or community) below it: its communities, those with a
    five-party project, its projects and how many involve all five, and the money and volunteer hours
    behind those. ``on``: only projects running that day."""
    rows = {path: FivePartyRow(division=d) for path, d in _rows_of(within).items()}
    for path in Division.objects.filter(path__under=within.path, level=DivisionLevel.COMMUNITY).values_list("path", flat=True):
        for up in _up(path):
            if up in rows:
                rows[up].communities += 1
    projects = project_list(user=user, within=within).order_by()
    if on is not None:
        projects = projects.filter(starts_on__lte=on).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
    figures = project_figures(projects.values("pk"))
    for pk, community_id, path in projects.values_list("pk", "community_id", "community__path"):
        found = figures.get(pk)
        for up in _up(path):
            row = rows.get(up)
            if row is None:
                continue
            row.projects += 1
            if found is not None and found.all_five:
                row.five_party += 1
                row.money += found.money
                row.volunteer_hours += found.volunteer_hours
                row.recorded_hours += found.recorded_hours
                row.typed_hours += found.typed_hours
                row._with_five.add(community_id)
    for row in rows.values():
        row.communities_with_five = len(row._with_five)
    return list(rows.values())


def fund_for(*, community: Division, code: str):
    """The fund of ``code`` when it can take part in a project of ``community`` (its own, its street's or
    district's); anything else is refused on the field."""
    from funds.models import Fund

    fund = Fund.objects.select_related("division").filter(division__code=code).first()
    if fund is None or not community.path.startswith(fund.division.path):
        from django.utils.translation import gettext_lazy as _

        from core.errors import ValidationFailed

        raise ValidationFailed(fields={"fund": [_("Choose the community's own fund, or its street's or district's.")]})
    return fund
