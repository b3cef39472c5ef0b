"""Reading the administrative tree and the organisations register, always within a user's scope."""

from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Substr
from django.utils.translation import gettext_lazy as _

from accounts.permissions import GRANTS, active_roles, get_for_user, visible_to
from core.errors import ValidationFailed
from core.pickers import LIMIT, Option
from core.scoping import ancestor_paths

from .models import Division, DivisionLevel, Organisation

# Every official code is 12 digits, so a path at depth d is 13 * (d + 1) characters long and
# the subtree of each child can be grouped by a fixed-length prefix of the path.
PATH_SEGMENT = 13


def division_list(
    *, user, parent: Division | None = None, level: str | None = None, q: str | None = None,
    community_type: str | None = None, within: Division | None = None,
) -> QuerySet[Division]:
    divisions = visible_to(user, "org.view_division", Division.objects.select_related("parent"))
    if parent is not None:
        divisions = divisions.filter(parent=parent)
    if within is not None:
        divisions = divisions.filter(path__under=within.path)
    if level:
        divisions = divisions.filter(level=level)
    if community_type:
        divisions = divisions.filter(community_type=community_type)
    if q:
        divisions = divisions.filter(Q(name__icontains=q) | Q(code__startswith=q))
    return divisions.order_by("path")


def division_get(*, user, code: str) -> Division:
    return get_for_user(user, "org.view_division", Division.objects.select_related("parent"), code=code)


def division_picked(*, user, code: str, field: str, levels=()) -> Division:
    """The division chosen in a picker, looked up again within what the user sees: a code out of it
    (or of another level) is refused on the form's field, in the user's language, never a 500."""
    division = division_list(user=user).filter(code=code).first() if code else None
    if division is None or (levels and division.level not in levels):
        raise ValidationFailed(fields={field: [_("Choose a place of your area from the list.")]})
    return division


def divisions_by_codes(*, user, codes: list[str]) -> tuple[list[Division], list[str]]:
    """The divisions with these codes that the user can see, and the codes that found none."""
    found = {d.code: d for d in division_list(user=user).filter(code__in=codes)}
    return [found[c] for c in codes if c in found], [c for c in codes if c not in found]


def community_by_code(*, code: str) -> Division | None:
    """A community looked up by its code for public use (sign-up); names and codes are public."""
    return Division.objects.filter(code=code, level=DivisionLevel.COMMUNITY).first()


def community_search(*, q: str) -> QuerySet[Division]:
    """Communities whose name contains ``q``, for the public community picker of sign-up."""
    return (
        Division.objects.filter(level=DivisionLevel.COMMUNITY, name__icontains=q.strip())
        .select_related("parent__parent")
        .order_by("path")
    )


def _by_relevance(queryset: QuerySet, q: str, *order) -> QuerySet:
    """Names beginning with ``q`` before names merely containing it."""
    if not q:
        return queryset.order_by(*order)
    starts = Case(When(name__istartswith=q, then=Value(0)), default=Value(1), output_field=IntegerField())
    return queryset.annotate(starts=starts).order_by("starts", *order)


def division_paths(divisions: list[Division]) -> dict[int, str]:
    """Each division's place written out from its district down (鹭湖区 › 中山街道 › 梅阳社区), in one query
    for all of them. The city is left out below it: every place a person picks lies in their own city."""
    above = {path for d in divisions for path in ancestor_paths(d.path)}
    names = dict(Division.objects.filter(path__in=above, depth__gt=0).values_list("path", "name")) if above else {}
    return {d.pk: " › ".join([*(names[p] for p in ancestor_paths(d.path) if p in names), d.name]) for d in divisions}


def division_options(
    *, user, q: str = "", levels: list[str] | None = None, within: Division | None = None, perm: str | None = None,
    codes: list[str] | None = None, limit: int = LIMIT,
) -> list[Option]:
    """Divisions for a picker: those the user sees whose name (or code) matches ``q``, of the given
    levels, below ``within``, and where the user holds ``perm``; each named by its path."""
    divisions = division_list(user=user, within=within, q=q or None)
    if levels:
        divisions = divisions.filter(level__in=levels)
    if perm:
        divisions = visible_to(user, perm, divisions) if perm in GRANTS else divisions.none()
    if codes is not None:
        divisions = divisions.filter(code__in=codes)
    found = list(_by_relevance(divisions, q, "depth", "path")[:limit])
    paths = division_paths(found)
    return [Option(d.code, paths[d.pk], str(d.get_level_display())) for d in found]


def scope_roots(*, user) -> list[Division]:
    """The topmost divisions the user can see, without repeats (a street inside a district the user also holds)."""
    roots = visible_to(user, "org.view_division", Division.objects.all())
    paths = sorted(set(roots.values_list("path", flat=True)))
    tops = []
    for path in paths:
        if not any(path.startswith(t) for t in tops):
            tops.append(path)
    return list(Division.objects.filter(path__in=tops).order_by("path"))


@dataclass
class SubtreeFigures:
    districts: int = 0
    streets: int = 0
    communities: int = 0
    grids: int = 0
    population: int = 0
    households: int = 0
    community_types: dict[str, int] = field(default_factory=dict)


def subtree_figures(*, divisions: QuerySet[Division]) -> SubtreeFigures:
    """Counts by level, and people and households summed over communities, in two queries."""
    figures = SubtreeFigures()
    by_level = divisions.values("level").annotate(n=Count("id"), people=Sum("population"), homes=Sum("households"))
    for row in by_level:
        level = row["level"]
        if level == DivisionLevel.DISTRICT:
            figures.districts = row["n"]
        elif level == DivisionLevel.STREET:
            figures.streets = row["n"]
        elif level == DivisionLevel.COMMUNITY:
            figures.communities = row["n"]
            figures.population = row["people"] or 0
            figures.households = row["homes"] or 0
        elif level == DivisionLevel.GRID:
            figures.grids = row["n"]
    types = divisions.filter(level=DivisionLevel.COMMUNITY).values("community_type").annotate(n=Count("id"))
    figures.community_types = {row["community_type"] or "": row["n"] for row in types}
    return figures


def scope_figures(*, user, root: Division | None = None) -> SubtreeFigures:
    divisions = visible_to(user, "org.view_division", Division.objects.all())
    if root is not None:
        divisions = divisions.filter(path__under=root.path)
    return subtree_figures(divisions=divisions)


def children_with_figures(*, user, division: Division) -> list[Division]:
    """The division's children, each with ``community_count``, ``people`` and ``homes`` of its subtree."""
    children = list(division_list(user=user, parent=division))
    if not children or division.level == DivisionLevel.COMMUNITY:
        for child in children:
            child.community_count, child.people, child.homes = 0, child.population, child.households
        return children
    prefix_length = PATH_SEGMENT * (division.depth + 2)
    rows = (
        Division.objects.filter(path__under=division.path, level=DivisionLevel.COMMUNITY)
        .annotate(prefix=Substr("path", 1, prefix_length))
        .values("prefix")
        .annotate(n=Count("id"), people=Sum("population"), homes=Sum("households"))
    )
    by_prefix = {row["prefix"]: row for row in rows}
    for child in children:
        row = by_prefix.get(child.path, {})
        child.community_count = row.get("n", 1 if child.is_community else 0)
        child.people = row.get("people", child.population) or 0
        child.homes = row.get("homes", child.households) or 0
    return children


def organisation_list(
    *, user, kind: str | None = None, q: str | None = None, serving: Division | None = None
) -> QuerySet[Organisation]:
    organisations = visible_to(
        user, "org.view_organisation", Organisation.objects.select_related("home_division")
    ).prefetch_related("served_divisions")
    if kind:
        organisations = organisations.filter(kind=kind)
    if q:
        organisations = organisations.filter(Q(name__icontains=q) | Q(credit_code__iexact=q))
    if serving is not None:
        organisations = organisations.filter(pk__in=Organisation.objects.serving(serving).values("pk"))
    return organisations.order_by("name", "id")


def organisation_options(
    *, user, q: str = "", kinds: list[str] | None = None, serving: Division | None = None, within: Division | None = None,
    public_fundraising: bool | None = None, ids: list[int] | None = None, limit: int = LIMIT,
) -> list[Option]:
    """Organisations for a picker: those the user sees whose name (or credit code) matches ``q``, of
    one of ``kinds``, serving ``serving`` (at, above or below it) or serving somewhere below ``within``."""
    organisations = organisation_list(user=user, q=q or None, serving=serving).prefetch_related(None).filter(is_active=True)
    if kinds:
        organisations = organisations.filter(kind__in=kinds)
    if within is not None:
        organisations = organisations.filter(pk__in=Organisation.objects.filter(
            served_divisions__path__under=within.path).values("pk"))
    if public_fundraising is not None:
        organisations = organisations.filter(public_fundraising=public_fundraising)
    if ids is not None:
        organisations = organisations.filter(pk__in=ids)
    return organisation_choices(list(_by_relevance(organisations, q, "name", "id")[:limit]))


def organisation_choices(organisations) -> list[Option]:
    """Organisations as picker options: the name, with the kind and where it is registered."""
    return [Option(str(o.pk), o.name, f"{o.get_kind_display()} · {o.home_division.name}") for o in organisations]


def organisation_get(*, user, pk: int) -> Organisation:
    return get_for_user(
        user, "org.view_organisation",
        Organisation.objects.select_related("home_division").prefetch_related("served_divisions"), pk=pk,
    )


def user_home_division(*, user) -> Division | None:
    """The division a user's pages open on: the highest one among their roles."""
    divisions = [a.division for a in active_roles(user) if a.division_id]
    if not divisions:
        roots = scope_roots(user=user)
        return roots[0] if roots else None
    return min(divisions, key=lambda d: (d.depth, d.path))


def _geometry(division: Division) -> dict | None:
    geometry = division.boundary
    if geometry and geometry.get("type") == "Feature":
        geometry = geometry.get("geometry")
    if geometry is None and division.latitude is not None and division.longitude is not None:
        geometry = {"type": "Point", "coordinates": [float(division.longitude), float(division.latitude)]}
    return geometry


def division_map_geojson(*, user, division: Division) -> dict:
    """The division's outline and its children as GeoJSON features, with their figures.

    The division itself comes first (``role: "self"``), so a node without mapped children still
    shows where it is.
    """
    features = []
    own = _geometry(division)
    if own is not None:
        features.append({"type": "Feature", "geometry": own, "properties": {
            "role": "self", "code": division.code, "name": division.name, "level": division.level,
            "community_type": division.community_type, "population": division.population,
            "households": division.households}})
    for child in children_with_figures(user=user, division=division):
        geometry = _geometry(child)
        if geometry is None:
            continue
        features.append({"type": "Feature", "geometry": geometry, "properties": {
            "role": "child", "code": child.code, "name": child.name, "level": child.level,
            "community_type": child.community_type, "population": child.people, "households": child.homes}})
    return {"type": "FeatureCollection", "name": division.name, "features": features}
