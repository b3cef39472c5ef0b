"""Reading the register, its compliance, ratings, filings and new projects, within the reader's scope."""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Case, CharField, Count, Prefetch, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.permissions import get_for_user, visible_to
from core.pickers import LIMIT, Option
from ledger.models import Account
from ledger.selectors import account_statement
from org.models import Division, DivisionLevel
from rulepack.selectors import active_pack, param

from .compliance import ComplianceReport, compliance_report, inputs_version, report_rules
from .models import (
    Aspect,
    Cost,
    Function,
    OnlineServices,
    Photo,
    PropertyClass,
    PropertySource,
    ProvisionMethod,
    ProvisionProject,
    RegistryFiling,
    Room,
    RoomSuggestion,
    Sign,
    SignCleanup,
    Site,
    SiteKind,
    StarRating,
)

# Scheduling fills this (``scheduling.selectors.standard_room_usage``): (rooms, *, division, days, today)
# -> (period, {room_id: usage}), each usage with its ``rate`` (None when it has none) and whether its
# community ``recorded`` any booking. Until then the register has no usage figures rather than made-up ones.
USAGE_PROVIDER: Callable | None = None

# Modules where residents give stars (the smart neighbourhood) register here how many ratings were
# given in a place (a division's path, and below) between two moments, and their stars added up;
# the star rating's ``resident_ratings`` indicator reads them without knowing those modules.
RESIDENT_RATINGS: list[Callable[[str, datetime, datetime], tuple[int, int]]] = []


def resident_ratings_source(source: Callable[[str, datetime, datetime], tuple[int, int]]):
    """Register a source of residents' ratings (used as a decorator or a call)."""
    if source not in RESIDENT_RATINGS:
        RESIDENT_RATINGS.append(source)
    return source


def resident_ratings(*, division: Division, since: datetime, until: datetime) -> tuple[int, int]:
    """Ratings residents gave in ``division`` and below in ``[since, until)``: how many, and their stars added up."""
    count = total = 0
    for source in RESIDENT_RATINGS:
        n, stars = source(division.path, since, until)
        count, total = count + n, total + stars
    return count, total


def _sites_in_scope(*, user, within: Division | None, include_closed: bool = False) -> QuerySet[Site]:
    sites = visible_to(user, "registry.view_site", Site.objects.all())
    if not include_closed:
        sites = sites.filter(closed_on__isnull=True)
    if within is not None:
        sites = sites.filter(division__path__under=within.path)
    return sites


def site_list(
    *, user, within: Division | None = None, kind: str | None = None, q: str | None = None,
    property_source: str | None = None, include_closed: bool = False,
) -> QuerySet[Site]:
    sites = _sites_in_scope(user=user, within=within, include_closed=include_closed).select_related("division__parent").annotate(
        room_count=Count("rooms", filter=Q(rooms__closed_on__isnull=True), distinct=True),
    )
    if kind:
        sites = sites.filter(kind=kind)
    if property_source:
        sites = sites.filter(property_source=property_source)
    if q:
        sites = sites.filter(Q(name__icontains=q) | Q(code__startswith=q) | Q(address__icontains=q))
    return sites.order_by("division__path", "code")


def site_get(*, user, pk: int) -> Site:
    return get_for_user(user, "registry.view_site", Site.objects.select_related("division__parent"), pk=pk)


def room_list(*, user, site: Site | None = None, within: Division | None = None, function: str | None = None,
              min_capacity: int | None = None) -> QuerySet[Room]:
    rooms = visible_to(user, "registry.view_room", Room.objects.select_related("site__division")).filter(
        closed_on__isnull=True).prefetch_related(Prefetch("functions", queryset=Function.objects.order_by("aspect__order", "order")))
    if site is not None:
        rooms = rooms.filter(site=site)
    if within is not None:
        rooms = rooms.filter(site__division__path__under=within.path)
    if function:
        rooms = rooms.filter(functions__code=function)
    if min_capacity:
        rooms = rooms.filter(capacity__gte=min_capacity)
    return rooms.order_by("site__code", "floor", "name")


def room_options(*, user, q: str = "", within: Division | None = None, ids: list[int] | None = None,
                 limit: int = LIMIT) -> list[Option]:
    """Rooms for a picker: those the user sees below ``within`` whose name or site's name contains ``q``;
    each named with its site, and told apart by community, floor, area and places."""
    rooms = visible_to(user, "registry.view_room", Room.objects.select_related("site__division")).filter(
        closed_on__isnull=True, site__closed_on__isnull=True)
    if within is not None:
        rooms = rooms.filter(site__division__path__under=within.path)
    if q:
        rooms = rooms.filter(Q(name__icontains=q) | Q(site__name__icontains=q))
    if ids is not None:
        rooms = rooms.filter(pk__in=ids)
    return room_choices(rooms.order_by("site__division__path", "site__name", "floor", "name")[:limit])


def room_choices(rooms) -> list[Option]:
    """Rooms as picker options: 梅阳社区党群服务中心 · 多功能室, then 梅阳社区 · 2楼 · 60㎡ · 30人."""
    return [Option(str(r.pk), f"{r.site.name} · {r.name}", str(_("%(place)s · floor %(floor)s · %(area)s m² · %(capacity)s people") % {
        "place": r.site.division.name, "floor": r.floor, "area": f"{float(r.area):g}", "capacity": r.capacity})) for r in rooms]


def room_get(*, user, pk: int) -> Room:
    return get_for_user(user, "registry.view_room", Room.objects.select_related("site__division"), pk=pk)


def room_usage(rooms: list[Room], *, division: Division, days: int | None = None,
               today: date | None = None) -> tuple[object | None, dict]:
    """The usage of each room over the city's usage window (or the last ``days``), with that period:
    the same figures as the utilisation page's, read from scheduling once it is installed."""
    if USAGE_PROVIDER is None:
        return None, {}
    return USAGE_PROVIDER(rooms, division=division, days=days, today=today)


def cost_list(*, user, site: Site | None = None, within: Division | None = None, year: int | None = None) -> QuerySet[Cost]:
    costs = visible_to(user, "registry.view_cost", Cost.objects.select_related("site__division", "room", "payer"))
    if site is not None:
        costs = costs.filter(site=site)
    if within is not None:
        costs = costs.filter(site__division__path__under=within.path)
    if year:
        costs = costs.filter(year=year)
    return costs.order_by("-year", "site__code", "category")


def photo_get(*, user, pk: int) -> Photo:
    return get_for_user(user, "registry.view_photo", Photo.objects.select_related("site__division"), pk=pk)


@dataclass
class ExpiringLease:
    site: Site
    days_left: int

    @property
    def expired(self) -> bool:
        return self.days_left < 0


def leases_expiring(*, user, within: Division, today: date | None = None, limit: int | None = None) -> list[ExpiringLease]:
    """Leased and borrowed sites whose term ends within the city's warning period (or has ended),
    soonest first; the first ``limit`` of them when given."""
    today = today or timezone.localdate()
    days = int(param(division=within, key="registry.lease_warning_days"))
    sites = site_list(user=user, within=within).filter(lease_end__isnull=False, lease_end__lte=today + timedelta(days=days))
    sites = sites.order_by("lease_end", "pk")
    return [ExpiringLease(site, (site.lease_end - today).days) for site in (sites[:limit] if limit else sites)]


def catalogue(*, division: Division) -> list[Aspect]:
    """The city's function catalogue, aspects with their active functions."""
    city = active_pack(division=division).city  # the catalogue comes with the city's pack
    return list(Aspect.objects.filter(city=city).prefetch_related(
        Prefetch("functions", queryset=Function.objects.filter(is_active=True).order_by("order"))).order_by("order"))


COMPLIANCE_CACHE_SECONDS = 24 * 3600


def compliance_for(*, user, division: Division) -> ComplianceReport:
    """The compliance report of ``division``: its communities and streets that the user can see.

    Kept in the cache under the divisions it covers, the language of its wording and what it is
    computed from (``compliance.inputs_version``), so the same report is not recomputed on every
    page view and a change to the register or the rules is seen at once."""
    scope = visible_to(user, "registry.view_compliance", Division.objects.all()).filter(path__under=division.path)
    covered = list(scope.filter(level__in=[DivisionLevel.COMMUNITY, DivisionLevel.STREET]).order_by("pk").values_list("pk", flat=True))
    key = "registry:compliance-report:" + hashlib.sha256(repr((
        division.pk, covered, translation.get_language(), inputs_version(division=division),
    )).encode()).hexdigest()
    kept = cache.get(key)
    if kept is not None:
        communities, streets = kept
        return ComplianceReport(division=division, communities=communities, streets=streets, rules=report_rules(division=division))
    report = compliance_report(
        division=division,
        communities=scope.filter(level=DivisionLevel.COMMUNITY).order_by("path"),
        streets=scope.filter(level=DivisionLevel.STREET).order_by("path"),
    )
    cache.set(key, (report.communities, report.streets), COMPLIANCE_CACHE_SECONDS)
    return report


@dataclass
class RegisterSummary:
    sites: int
    rooms: int
    floor_area: Decimal
    by_kind: list[dict]
    by_source: list[dict]
    by_class: list[dict]
    costs_last_year: Decimal


def register_summary(*, user, within: Division) -> RegisterSummary:
    sites = _sites_in_scope(user=user, within=within)  # without the rooms' join, which would count a site once per room
    kinds = dict(SiteKind.choices)
    by_kind = [{"kind": r["kind"], "label": str(kinds.get(r["kind"], r["kind"])), "n": r["n"], "area": r["area"]}
               for r in sites.order_by().values("kind").annotate(n=Count("id"), area=Sum("floor_area")).order_by("-n")]
    sources = dict(PropertySource.choices)
    by_source = [{"source": r["property_source"], "label": str(sources[r["property_source"]]), "n": r["n"]}
                 for r in sites.order_by().values("property_source").annotate(n=Count("id")).order_by("-n")]
    classes = dict(PropertyClass.choices)
    by_class = [{"class": r["property_class"], "label": str(classes[r["property_class"]]), "n": r["n"]}
                for r in sites.order_by().values("property_class").annotate(n=Count("id")).order_by("-n")]
    rooms = room_list(user=user, within=within).count()
    year = timezone.localdate().year - 1
    costs = cost_list(user=user, within=within, year=year).aggregate(total=Sum("amount"))["total"] or Decimal("0")
    totals = sites.order_by().aggregate(n=Count("id"), area=Sum("floor_area"))
    return RegisterSummary(sites=totals["n"], rooms=rooms, floor_area=totals["area"] or Decimal("0"), by_kind=by_kind,
                           by_source=by_source, by_class=by_class, costs_last_year=costs)


def sites_geojson(*, user, within: Division) -> dict:
    kinds = dict(SiteKind.choices)
    features = []
    for site in site_list(user=user, within=within).filter(latitude__isnull=False, longitude__isnull=False):
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(site.longitude), float(site.latitude)]},
                         "properties": {"id": site.pk, "name": site.name, "kind": site.kind, "kind_label": str(kinds[site.kind]),
                                        "floor_area": float(site.floor_area), "community": site.division.name}})
    return {"type": "FeatureCollection", "features": features}


def rating_list(*, user, within: Division | None = None) -> QuerySet[StarRating]:
    ratings = visible_to(user, "registry.view_starrating", StarRating.objects.select_related("site__division")).filter(is_current=True)
    if within is not None:
        ratings = ratings.filter(site__division__path__under=within.path)
    return ratings.order_by("-stars", "-score", "site__code")


def rating_history(*, user, site: Site, limit: int | None = None) -> list[StarRating]:
    """The site's ratings, newest first (the latest ``limit``), each with ``previous`` (the rating before it, or
    None) and ``changed`` (the criteria whose points moved since, before and after): the site page's timeline."""
    ratings = visible_to(user, "registry.view_starrating", StarRating.objects.filter(site=site)).order_by("-rated_at", "-id")
    ratings = list(ratings[: limit + 1] if limit else ratings)
    for rating, previous in zip(ratings, [*ratings[1:], None][: len(ratings)], strict=True):
        rating.previous = previous
        before = {d["indicator"]: d["points"] for d in previous.details} if previous is not None else {}
        rating.changed = [{"title": d["title"], "before": before.get(d["indicator"]), "after": d["points"]}
                          for d in rating.details if previous is not None and before.get(d["indicator"]) != d["points"]]
    return ratings[:limit] if limit else ratings


# The smart-neighbourhood services at neighbourhood centres, under the city's gate [Quanzhou].

ONLINE_STATES = ("on", "suspended", "eligible", "below")


def online_state_of(is_on: bool, stars: int, gate: int) -> str:
    if is_on:
        return "on" if stars >= gate else "suspended"
    return "eligible" if stars >= gate else "below"


def online_centres(*, user, within: Division, state: str | None = None) -> tuple[QuerySet[StarRating], dict[str, int], int]:
    """The rated centres in ``within`` with their online services: ``on`` (switched on, rated at the gate or above),
    ``suspended`` (switched on, but the rating fell below the gate: residents are not offered them), ``eligible``
    (off, rated at the gate or above) and ``below``; only those in ``state`` when given. Also the count in each
    state (one query) and the gate."""
    gate = int(param(division=within, key="registry.online_services_min_stars"))
    ratings = rating_list(user=user, within=within).annotate(
        is_on=Coalesce("site__online_services__is_on", Value(False)))
    conditions = {
        "on": Q(is_on=True, stars__gte=gate), "suspended": Q(is_on=True, stars__lt=gate),
        "eligible": Q(is_on=False, stars__gte=gate), "below": Q(is_on=False, stars__lt=gate),
    }
    counts = ratings.order_by().aggregate(**{name: Count("id", filter=condition) for name, condition in conditions.items()})
    if state in conditions:
        ratings = ratings.filter(conditions[state])
    ratings = ratings.annotate(online_state=Case(*[When(condition, then=Value(name)) for name, condition in conditions.items()],
                                                 output_field=CharField()))
    return ratings.select_related("site__online_services"), counts, gate


def sites_switchable(*, user, site_ids) -> set[int]:
    """Of these sites, those whose online services ``user`` may switch (one query)."""
    return set(visible_to(user, "registry.switch_online_services", Site.objects.filter(pk__in=site_ids)).values_list("pk", flat=True))


def online_state(site: Site) -> str | None:
    """Where a rated centre stands (``ONLINE_STATES``), or None for a site that is not rated."""
    rating = StarRating.objects.filter(site=site, is_current=True).first()
    if rating is None:
        return None
    switch = OnlineServices.objects.filter(site=site).first()
    return online_state_of(bool(switch and switch.is_on), rating.stars, int(param(division=site.division,
                                                                               key="registry.online_services_min_stars")))


def online_sites(site_ids) -> set[int]:
    """Of these sites, the centres whose online services residents are offered now: switched on and still rated at
    the city's gate (one query for the switches and ratings; the gate read once per city)."""
    rows = list(StarRating.objects.filter(site_id__in=set(site_ids), is_current=True, site__online_services__is_on=True)
                .values_list("site_id", "stars", "site__division__path"))
    gates: dict[str, int] = {}
    found = set()
    for site_id, stars, path in rows:
        city = path.split("/", 1)[0] + "/"
        if city not in gates:
            gates[city] = int(param(division=Division.objects.get(path=city), key="registry.online_services_min_stars"))
        if stars >= gates[city]:
            found.add(site_id)
    return found


def filing_list(*, user, within: Division | None = None) -> QuerySet[RegistryFiling]:
    filings = visible_to(user, "registry.view_registryfiling",
                         RegistryFiling.objects.select_related("street__parent", "filed_by").defer("snapshot"))
    if within is not None:
        filings = filings.filter(street__path__under=within.path)
    return filings.order_by("-filed_at", "-id")


def filing_get(*, user, pk: int) -> RegistryFiling:
    return get_for_user(user, "registry.view_registryfiling", RegistryFiling.objects.select_related("street", "filed_by"), pk=pk)


def filing_diff(older: RegistryFiling, newer: RegistryFiling) -> dict:
    """What changed between two filings of a street: sites and rooms added, removed and changed."""

    def index(filing):
        sites = {s["code"]: s for s in filing.snapshot["sites"]}
        rooms = {(s["code"], r["name"]): r for s in filing.snapshot["sites"] for r in s["rooms"]}
        return sites, rooms

    old_sites, old_rooms = index(older)
    new_sites, new_rooms = index(newer)

    def changes(a: dict, b: dict) -> dict:
        return {k: [a.get(k), b.get(k)] for k in sorted(set(a) | set(b)) if k != "rooms" and a.get(k) != b.get(k)}

    return {
        "older": {"id": older.pk, "filed_at": older.filed_at}, "newer": {"id": newer.pk, "filed_at": newer.filed_at},
        "sites_added": [new_sites[c] | {"rooms": len(new_sites[c]["rooms"])} for c in sorted(set(new_sites) - set(old_sites))],
        "sites_removed": [old_sites[c] | {"rooms": len(old_sites[c]["rooms"])} for c in sorted(set(old_sites) - set(new_sites))],
        "sites_changed": [{"code": c, "name": new_sites[c]["name"], "changes": changes(old_sites[c], new_sites[c])}
                          for c in sorted(set(old_sites) & set(new_sites)) if changes(old_sites[c], new_sites[c])],
        "rooms_added": [{"site": s, **new_rooms[(s, n)]} for s, n in sorted(set(new_rooms) - set(old_rooms))],
        "rooms_removed": [{"site": s, **old_rooms[(s, n)]} for s, n in sorted(set(old_rooms) - set(new_rooms))],
        "rooms_changed": [{"site": s, "name": n, "changes": changes(old_rooms[(s, n)], new_rooms[(s, n)])}
                          for s, n in sorted(set(old_rooms) & set(new_rooms)) if changes(old_rooms[(s, n)], new_rooms[(s, n)])],
    }


def provision_list(*, user, within: Division | None = None) -> QuerySet[ProvisionProject]:
    projects = visible_to(user, "registry.view_provisionproject",
                          ProvisionProject.objects.select_related("street", "community"))
    if within is not None:
        projects = projects.filter(community__path__under=within.path)
    return projects.order_by("-created_at", "-id")


def provision_get(*, user, pk: int) -> ProvisionProject:
    return get_for_user(user, "registry.view_provisionproject",
                        ProvisionProject.objects.select_related("street", "community").prefetch_related("sign_offs"), pk=pk)


def provision_overdue(*, user, within: Division | None = None, today: date | None = None) -> QuerySet[ProvisionProject]:
    """Monetised projects whose payment is past its due date and not recorded as paid [Haining: 30 days]."""
    today = today or timezone.localdate()
    return provision_list(user=user, within=within).filter(
        method=ProvisionMethod.MONETISE, payment_due_on__lt=today, paid_on__isnull=True)



def earmarked_statement(*, user, street: Division, since: date | None = None, until: date | None = None):
    """The street's earmarked sub-account and its statement, or None before any money arrived."""
    account = visible_to(user, "ledger.view_account", Account.objects.filter(code=f"street-earmarked:{street.code}")).first()
    if account is None:
        return None, None
    return account, account_statement(account=account, since=since, until=until)


# Signs and plaques [Huli].

def sign_list(*, user, within: Division | None = None, redundant: bool | None = None, removed: bool | None = None,
              q: str | None = None) -> QuerySet[Sign]:
    """Signs the user sees under ``within``: redundant (not on the city's list) or not, removed or still hung."""
    signs = visible_to(user, "registry.view_sign", Sign.objects.select_related("site__division", "department", "removed_by"))
    if within is not None:
        signs = signs.filter(site__division__path__under=within.path)
    if redundant is not None:
        signs = signs.filter(allowed=not redundant)
    if removed is not None:
        signs = signs.filter(removed_on__isnull=not removed)
    if q:
        signs = signs.filter(Q(text__icontains=q) | Q(site__name__icontains=q))
    return signs.order_by("site__division__path", "site__code", "text", "pk")


def sign_get(*, user, pk: int) -> Sign:
    return get_for_user(user, "registry.view_sign", Sign.objects.select_related("site__division", "department", "removed_by"),
                        pk=pk)


@dataclass
class SignCount:
    division: Division | None
    allowed: int = 0
    removed: int = 0  # redundant signs taken down
    remaining: int = 0  # redundant signs still hung

    @property
    def redundant(self) -> int:
        return self.removed + self.remaining


def sign_counts(*, user, within: Division, cleanup: SignCleanup | None = None) -> tuple[list[SignCount], SignCount]:
    """Signs under ``within`` counted per division one level down (the streets of a district, the communities
    of a street): allowed ones still hung, redundant ones removed and remaining; and the total. With
    ``cleanup``, the removed are those of the clean-up."""
    signs = sign_list(user=user, within=within).order_by()
    rows = signs.values("site__division__path", "allowed", removed=Case(
        When(removed_on__isnull=True, then=Value("no")), default=Value("yes"), output_field=CharField()))
    if cleanup is not None:
        rows = rows.filter(Q(removed_on__isnull=True) | Q(cleanup=cleanup))
    depth = len(within.path.strip("/").split("/"))
    children = {d.path: d for d in Division.objects.filter(parent=within).exclude(level=DivisionLevel.GRID)}
    counts: dict[str, SignCount] = {path: SignCount(division) for path, division in children.items()}
    total = SignCount(within)
    for row in rows.annotate(n=Count("pk")):
        parts = row["site__division__path"].strip("/").split("/")
        key = "/".join(parts[:depth + 1]) + "/" if len(parts) > depth else within.path
        count = counts.setdefault(key, SignCount(children.get(key, within)))
        for target in (count, total):
            if row["allowed"] and row["removed"] == "no":
                target.allowed += row["n"]
            elif not row["allowed"]:
                setattr(target, "removed" if row["removed"] == "yes" else "remaining",
                        getattr(target, "removed" if row["removed"] == "yes" else "remaining") + row["n"])
    ordered = sorted(counts.values(), key=lambda c: (c.division.path if c.division else ""))
    return [c for c in ordered if c.allowed or c.redundant], total


def cleanup_list(*, user, within: Division | None = None) -> QuerySet[SignCleanup]:
    cleanups = visible_to(user, "registry.view_signcleanup", SignCleanup.objects.select_related("division", "started_by"))
    if within is not None:
        cleanups = cleanups.filter(Q(division__path__under=within.path) | Q(division__in=[d.pk for d in within.ancestors()]))
    return cleanups.annotate(removed=Count("removed_signs")).order_by("-started_on", "-pk")


def cleanup_get(*, user, pk: int) -> SignCleanup:
    return get_for_user(user, "registry.view_signcleanup", SignCleanup.objects.select_related("division", "started_by"), pk=pk)


def cleanup_signs(*, user, cleanup: SignCleanup) -> tuple[QuerySet[Sign], QuerySet[Sign]]:
    """A clean-up's work: the redundant signs of its area still hung, and those it took down."""
    signs = sign_list(user=user, within=cleanup.division, redundant=True)
    return signs.filter(removed_on__isnull=True), signs.filter(cleanup=cleanup).order_by("-removed_on", "-pk")


def site_options(*, user, q: str = "", within: Division | None = None, ids: list[int] | None = None,
                 limit: int = LIMIT) -> list[Option]:
    """Sites in use for a picker, by name, each with its community."""
    sites = _sites_in_scope(user=user, within=within).select_related("division")
    if q:
        sites = sites.filter(Q(name__icontains=q) | Q(address__icontains=q))
    if ids is not None:
        sites = sites.filter(pk__in=ids)
    return [Option(str(s.pk), s.name, s.division.name) for s in sites.order_by("division__path", "name")[:limit]]


# Suggestions to merge or swap rooms.

def suggestion_list(*, user, within: Division | None = None, status: str | None = None,
                    kind: str | None = None) -> QuerySet[RoomSuggestion]:
    suggestions = visible_to(user, "registry.view_roomsuggestion", RoomSuggestion.objects.select_related(
        "street", "room__site__division", "keep__site__division", "decided_by"))
    if within is not None:
        suggestions = suggestions.filter(room__site__division__path__under=within.path)
    if status:
        suggestions = suggestions.filter(status=status)
    if kind:
        suggestions = suggestions.filter(kind=kind)
    return suggestions.order_by("-created_at", "-pk")


def suggestion_get(*, user, pk: int) -> RoomSuggestion:
    return get_for_user(user, "registry.view_roomsuggestion", RoomSuggestion.objects.select_related(
        "street", "room__site__division", "keep__site__division", "decided_by"), pk=pk)
