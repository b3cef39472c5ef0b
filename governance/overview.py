"""The supervisor's community-governance page: for a city, district or street and each division one
level below it, what the governance registers hold — volunteers and the hours they served in the
year, 五社联动 projects running today and the money and volunteer hours behind those involving all
five parties, the district's affairs admission list and the refusals, signs removed and still hung,
the platform's suggestions to merge or swap rooms, and units' resources opened to residents with
their bookings in the year.

Nothing is counted here: each figure is the one its module's own page shows, read from that module's
selector (``volunteers.selectors.hours_by_division``, ``five_party_summary``, ``affairs_summary``,
``registry.selectors.sign_counts``, ``registry.selectors.suggestion_list``,
``scheduling.selectors.open_resource_figures``), so the page and the module never disagree.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from org.models import Division, DivisionLevel

from .models import ZERO
from .selectors import affairs_summary, five_party_summary


@dataclass
class OverviewRow:
    division: Division
    # Volunteers (registered, living there) and the hours they served in the year, as confirmed.
    volunteers: int = 0
    hours: Decimal = Decimal("0.0")
    # 五社联动 projects running on the day, those involving all five, and what is behind those.
    communities: int = 0
    communities_with_five: int = 0
    projects: int = 0
    five_party: int = 0
    money: Decimal = ZERO
    project_hours: Decimal = Decimal("0.0")
    # The affairs admission list of the district in force (None where no list is in force).
    host: int | None = None
    assist: int | None = None
    refused_tasks: int = 0
    refused_applications: int = 0
    pending_applications: int = 0
    # Signs not on the city's list: taken down, and still hung.
    signs_removed: int = 0
    signs_remaining: int = 0
    # The platform's suggestions to merge idle rooms or swap unfit ones, by what the street decided.
    merges_open: int = 0
    swaps_open: int = 0
    suggestions_accepted: int = 0
    suggestions_dismissed: int = 0
    # Units' resources open to residents, and the bookings asked for them in the year.
    resources_open: int = 0
    units: int = 0
    open_requests: int = 0
    open_approved: int = 0

    @property
    def five_share(self) -> float | None:
        return self.communities_with_five / self.communities if self.communities else None


@dataclass
class Overview:
    within: Division
    year: int
    on: date
    rows: list[OverviewRow]
    total: OverviewRow

    @property
    def lists_in_force(self) -> int:
        """The divisions below with an affairs list in force (for a city: its districts that have one)."""
        return sum(1 for row in self.rows if row.host is not None)


def _child_path(within: Division, path: str) -> str:
    """The path of the division one level below ``within`` that ``path`` lies in (``within``'s own for itself)."""
    depth = len(within.path.strip("/").split("/"))
    parts = path.strip("/").split("/")
    return "/".join(parts[:depth + 1]) + "/" if len(parts) > depth else within.path


def governance_overview(*, user, within: Division, year: int, on: date) -> Overview:
    """The page's figures for ``within`` (a city, district or street) and each division one level below it.
    ``year``: the year of hours and bookings; ``on``: the day projects must be running on."""
    from registry.models import SuggestionKind, SuggestionStatus
    from registry.selectors import sign_counts, suggestion_list
    from scheduling.selectors import open_resource_figures
    from volunteers.selectors import hours_by_division

    children = list(Division.objects.filter(parent=within).exclude(level=DivisionLevel.GRID).order_by("code"))
    rows = {d.path: OverviewRow(division=d) for d in children}
    total = OverviewRow(division=within)

    def row(division: Division) -> OverviewRow | None:
        return total if division.pk == within.pk else rows.get(division.path)

    since, until = date(year, 1, 1), date(year + 1, 1, 1)
    for found in hours_by_division(within=within, since=since, until=date(year, 12, 1)):
        for target in {id(r): r for r in (row(found.division), total) if r is not None}.values():
            target.volunteers += found.volunteers
            target.hours += found.hours

    for found in five_party_summary(user=user, within=within, on=on):
        target = row(found.division)
        if target is not None:
            target.communities, target.communities_with_five = found.communities, found.communities_with_five
            target.projects, target.five_party = found.projects, found.five_party
            target.money, target.project_hours = found.money, found.volunteer_hours

    for found in affairs_summary(user=user, within=within):
        target = row(found.division)
        if target is not None:
            target.host, target.assist = found.host, found.assist
            target.refused_tasks = found.refused_tasks
            target.refused_applications, target.pending_applications = found.refused_applications, found.pending_applications

    counts, signs_total = sign_counts(user=user, within=within)
    for found in counts:
        target = row(found.division) if found.division is not None else None
        if target is not None and target is not total:
            target.signs_removed, target.signs_remaining = found.removed, found.remaining
    total.signs_removed, total.signs_remaining = signs_total.removed, signs_total.remaining

    for path, kind, status in suggestion_list(user=user, within=within).order_by().values_list(
            "room__site__division__path", "kind", "status"):
        if status == SuggestionStatus.OPEN:
            name = "merges_open" if kind == SuggestionKind.MERGE else "swaps_open"
        else:
            name = "suggestions_accepted" if status == SuggestionStatus.ACCEPTED else "suggestions_dismissed"
        for target in {id(r): r for r in (rows.get(_child_path(within, path)), total) if r is not None}.values():
            setattr(target, name, getattr(target, name) + 1)

    for found in open_resource_figures(within=within, since=since, until=until):
        target = row(found.division)
        if target is not None:
            target.resources_open, target.units = found.resources, found.units
            target.open_requests, target.open_approved = found.requests, found.approved

    return Overview(within=within, year=year, on=on, rows=list(rows.values()), total=total)
