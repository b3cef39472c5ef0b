"""Compliance of communities and streets with the city's standards, computed set-based.

The figures every rule needs (floor area and ground-floor area by site kind, entrances, office
and service room area, functions present, sites by kind in each street) are gathered for all
communities of a report in a handful of GROUP BY queries; each rule of the city's pack then
gives its verdict in Python from those figures, with the figure, what is required and the
gap in words ("差312平方米"). This is what makes a province-wide report take a second instead
of minutes (bench/bench_compliance.py).

A report depends only on the city's active pack and on what the register holds (sites, rooms,
their functions, the divisions' names and places in the tree), so the pages keep it in the cache
under a key made of both (``inputs_version``): any change to the register or a new pack version
gives a new key, and a report is never shown from before a change.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import Substr
from django.utils.translation import gettext as _

from org.models import Division, DivisionLevel
from org.selectors import PATH_SEGMENT
from rulepack.models import Rule
from rulepack.selectors import active_pack, city_of, rules_for

from .models import Function, Requirement, Room, RoomUse, Site

ZERO = Decimal("0")
COMMUNITY_RULE_KINDS = ("site_area_min", "ground_floor_share_min", "independent_entrance", "office_share_max", "required_functions")
STREET_RULE_KINDS = ("street_site_count_min",)


@dataclass
class Figures:
    """What the register says about one community, as the rules need it."""

    area_by_kind: dict[str, Decimal] = field(default_factory=dict)
    ground_by_kind: dict[str, Decimal] = field(default_factory=dict)
    sites_by_kind: dict[str, int] = field(default_factory=dict)
    entrances_by_kind: dict[str, int] = field(default_factory=dict)
    sites_without_entrance: dict[str, list[str]] = field(default_factory=dict)
    room_area: Decimal = ZERO
    office_area: Decimal = ZERO
    functions: set[str] = field(default_factory=set)

    def area(self, kinds) -> Decimal:
        return sum((self.area_by_kind.get(k, ZERO) for k in kinds), ZERO)

    def ground(self, kinds) -> Decimal:
        return sum((self.ground_by_kind.get(k, ZERO) for k in kinds), ZERO)


@dataclass(slots=True)
class RuleResult:
    key: str
    title: str
    source: str
    citation: str
    passed: bool
    actual: Decimal | int | None = None
    required: Decimal | int | None = None
    unit: str = ""
    gap: Decimal | int | None = None
    gap_text: str = ""
    source_short: str = ""


@dataclass
class DivisionReport:
    division: Division
    results: list[RuleResult]
    # The functions a community's rooms in use give (codes of the catalogue; empty for a street):
    # what the rules of kind required_functions judged, kept for the measures that read a set of them.
    functions: frozenset[str] = frozenset()

    @property
    def failed(self) -> list[RuleResult]:
        return [r for r in self.results if not r.passed]

    @property
    def compliant(self) -> bool:
        return not self.failed

    @property
    def area_gap(self) -> Decimal:
        return sum((r.gap for r in self.failed if r.unit == "m²" and r.gap), ZERO)


def _m2(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _pct(share: Decimal) -> Decimal:
    return (share * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def community_figures(communities) -> dict[int, Figures]:
    """Figures for every community in ``communities`` (a queryset), in four queries."""
    ids = communities.values("pk")
    figures: dict[int, Figures] = defaultdict(Figures)
    sites = (
        Site.objects.active().filter(division__in=ids)
        .values("division_id", "kind")
        .annotate(area=Sum("floor_area"), ground=Sum("ground_floor_area"), n=Count("id"),
                  entrances=Count("id", filter=Q(independent_entrance=True)))
    )
    for row in sites:
        f = figures[row["division_id"]]
        f.area_by_kind[row["kind"]] = _m2(row["area"])
        f.ground_by_kind[row["kind"]] = _m2(row["ground"])
        f.sites_by_kind[row["kind"]] = row["n"]
        f.entrances_by_kind[row["kind"]] = row["entrances"]
    for row in (
        Site.objects.active().filter(division__in=ids, independent_entrance=False).values("division_id", "kind", "name")
    ):
        figures[row["division_id"]].sites_without_entrance.setdefault(row["kind"], []).append(row["name"])
    rooms = (
        Room.objects.own_space_in_use().filter(site__division__in=ids)
        .values("site__division_id", "use").annotate(area=Sum("area"))
    )
    for row in rooms:
        f = figures[row["site__division_id"]]
        f.room_area += _m2(row["area"])
        if row["use"] == RoomUse.OFFICE:
            f.office_area += _m2(row["area"])
    present = (
        Room.functions.through.objects.filter(
            room__in=Room.objects.own_space_in_use().filter(site__division__in=ids)
        ).values_list("room__site__division_id", "function__code").distinct()
    )
    for division_id, code in present:
        figures[division_id].functions.add(code)
    return figures


def street_site_counts(streets: list[Division], *, within: Division) -> dict[str, dict[str, int]]:
    """Sites by kind at each street or below it, keyed by the street's path (one query)."""
    rows = (
        Site.objects.active()
        .filter(division__path__under=within.path)
        .annotate(street_path=Substr("division__path", 1, PATH_SEGMENT * 3))
        .filter(street_path__in=[s.path for s in streets])
        .values("street_path", "kind").annotate(n=Count("id"))
    )
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for row in rows:
        counts[row["street_path"]][row["kind"]] = row["n"]
    return counts


def _result(rule: Rule, passed: bool, **values) -> RuleResult:
    return RuleResult(key=rule.key, title=rule.title, source=rule.source.title, citation=rule.citation, passed=passed,
                      source_short=rule.source.short_name, **values)


class Texts:
    """The verdicts' wording, translated once per report rather than once per community and rule."""

    def __init__(self):
        self.short_m2 = _("short by %(gap)s m²")
        self.points_short = _("%(gap)s percentage points short")
        self.points_over = _("%(gap)s percentage points over")
        self.no_site = _("no such site registered")
        self.no_entrance = _("no independent street-level entrance: %(sites)s")
        self.no_rooms = _("no rooms registered")
        self.missing = _("missing: %(names)s")
        self.more_needed = _("%(gap)s more needed")


def evaluate_community(figures: Figures, rules: list[Rule], required_functions: dict[str, str],
                       texts: Texts | None = None) -> list[RuleResult]:
    t = texts or Texts()
    results = []
    for rule in rules:
        p = rule.params
        if rule.kind == "site_area_min":
            actual, needed = figures.area(p["site_kinds"]), _m2(p["min_m2"])
            gap = max(ZERO, needed - actual)
            results.append(_result(rule, gap == 0, actual=actual, required=needed, unit="m²", gap=gap,
                                   gap_text=t.short_m2 % {"gap": f"{gap:,.0f}"} if gap else ""))
        elif rule.kind == "ground_floor_share_min":
            area = figures.area(p["site_kinds"])
            share = figures.ground(p["site_kinds"]) / area if area else ZERO
            needed = Decimal(str(p["min_share"]))
            gap = max(ZERO, needed - share)
            results.append(_result(rule, gap == 0 and area > 0, actual=_pct(share), required=_pct(needed), unit="%",
                                   gap=_pct(gap), gap_text=t.points_short % {"gap": _pct(gap)} if gap or not area else ""))
        elif rule.kind == "independent_entrance":
            kinds = p["site_kinds"]
            total = sum(figures.sites_by_kind.get(k, 0) for k in kinds)
            with_entrance = sum(figures.entrances_by_kind.get(k, 0) for k in kinds)
            passed = total > 0 and (with_entrance == total if p["require"] == "all" else with_entrance > 0)
            lacking = [name for k in kinds for name in figures.sites_without_entrance.get(k, [])]
            text = ""
            if not total:
                text = t.no_site
            elif not passed:
                text = t.no_entrance % {"sites": "、".join(lacking)}
            results.append(_result(rule, passed, actual=with_entrance, required=total if p["require"] == "all" else 1,
                                   gap=(total - with_entrance) if not passed else 0, gap_text=text))
        elif rule.kind == "office_share_max":
            share = figures.office_area / figures.room_area if figures.room_area else ZERO
            limit = Decimal(str(p["max_share"]))
            over = max(ZERO, share - limit)
            results.append(_result(rule, over == 0 and figures.room_area > 0, actual=_pct(share), required=_pct(limit), unit="%",
                                   gap=_pct(over),
                                   gap_text=(t.points_over % {"gap": _pct(over)}) if over
                                   else ("" if figures.room_area else t.no_rooms)))
        elif rule.kind == "required_functions":
            wanted = p.get("functions") or list(required_functions)
            missing = [code for code in wanted if code not in figures.functions]
            names = [required_functions.get(code, code) for code in missing]
            results.append(_result(rule, not missing, actual=len(wanted) - len(missing), required=len(wanted), gap=len(missing),
                                   gap_text=t.missing % {"names": "、".join(names)} if missing else ""))
    return results


def is_subdistrict(street: Division) -> bool:
    """街道 (001–099 in the code's township digits) rather than 镇 or 乡 (GB/T 10114)."""
    return street.level == DivisionLevel.STREET and int(street.code[6:9]) < 100


def evaluate_street(street: Division, counts: dict[str, int], rules: list[Rule]) -> list[RuleResult]:
    results = []
    for rule in rules:
        p = rule.params
        if rule.kind != "street_site_count_min" or (p["applies_to"] == "subdistrict" and not is_subdistrict(street)):
            continue
        have = sum(counts.get(k, 0) for k in p["site_kinds"])
        gap = max(0, p["min_count"] - have)
        results.append(_result(rule, gap == 0, actual=have, required=p["min_count"], gap=gap,
                               gap_text=_("%(gap)s more needed") % {"gap": gap} if gap else ""))
    return results


def required_function_names(city: Division, *, in_set: str | None = None) -> dict[str, str]:
    """The required functions of the city's catalogue, code → name, in the catalogue's order; with
    ``in_set``, only those the catalogue tags with that set (``"一老一小"``)."""
    rows = (Function.objects.filter(city=city, requirement=Requirement.REQUIRED, is_active=True)
            .order_by("aspect__order", "order").values_list("code", "name", "sets"))
    return {code: name for code, name, sets in rows if in_set is None or in_set in (sets or [])}


@dataclass
class ComplianceReport:
    division: Division
    communities: list[DivisionReport]
    streets: list[DivisionReport]
    rules: list[Rule]

    @property
    def non_compliant(self) -> list[DivisionReport]:
        """Communities failing at least one rule, worst first (most rules failed, then largest area gap)."""
        return sorted((r for r in self.communities if not r.compliant),
                      key=lambda r: (-len(r.failed), -r.area_gap, r.division.path))

    def rule_totals(self) -> list[dict]:
        totals = []
        for rule in self.rules:
            if rule.kind in COMMUNITY_RULE_KINDS:
                outcomes = [res.passed for report in self.communities for res in report.results if res.key == rule.key]
            elif rule.kind in STREET_RULE_KINDS:
                outcomes = [res.passed for report in self.streets for res in report.results if res.key == rule.key]
            else:
                continue
            totals.append({"rule": rule, "passed": sum(outcomes), "failed": len(outcomes) - sum(outcomes), "total": len(outcomes)})
        return totals


def report_rules(*, division: Division) -> list[Rule]:
    """The rules of the division's city that a compliance report judges by."""
    return [r for r in rules_for(division=division, module="registry") if r.kind in COMMUNITY_RULE_KINDS + STREET_RULE_KINDS]


def compliance_report(*, division: Division, communities, streets) -> ComplianceReport:
    """The report for ``division``: every community and street given, under its city's rules."""
    city = city_of(division)
    rules = report_rules(division=division)
    community_rules = [r for r in rules if r.kind in COMMUNITY_RULE_KINDS]
    required = required_function_names(city)
    figures = community_figures(communities)
    texts = Texts()
    community_reports = []
    for c in communities.select_related("parent").only(
            "code", "name", "path", "level", "depth", "parent__code", "parent__name", "parent__path", "parent__level"):
        found = figures.get(c.pk, Figures())
        community_reports.append(DivisionReport(c, evaluate_community(found, community_rules, required, texts),
                                                functions=frozenset(found.functions)))
    street_list = list(streets)
    counts = street_site_counts(street_list, within=division) if street_list else {}
    street_reports = [DivisionReport(s, evaluate_street(s, counts.get(s.path, {}), rules)) for s in street_list]
    return ComplianceReport(division=division, communities=community_reports, streets=street_reports, rules=rules)


def inputs_version(*, division: Division) -> tuple:
    """What a report of ``division`` is computed from, in a few cheap aggregates: its city's active
    pack (the rules and the function catalogue come with it) and, for the sites, rooms, their
    functions and the divisions, how many there are and the latest change (an edit moves
    ``updated_at``; a function given or taken away adds or removes a row of the link table)."""
    pack = active_pack(division=division)
    links = Room.functions.through.objects.aggregate(n=Count("id"), last=Max("id"))
    return (
        pack.pk, pack.sha256,
        tuple(Site.objects.aggregate(n=Count("id"), last=Max("updated_at")).values()),
        tuple(Room.objects.aggregate(n=Count("id"), last=Max("updated_at")).values()),
        (links["n"], links["last"]),
        tuple(Division.objects.aggregate(n=Count("id"), last=Max("updated_at")).values()),
    )
