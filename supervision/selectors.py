"""Reading supervision: the city's indicators (rules of its pack) against the monthly figures
(``Snapshot``) of a division and of the units under it, ranked, and their trend by month."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils import timezone

from accounts.permissions import visible_to
from core.errors import NotFound
from core.measures import MEASURES, SUM, Measure, Month, value_of
from org.models import Division, DivisionLevel
from rulepack.selectors import rules_for

from .models import Snapshot
from .rules import HIGHER

TREND_MONTHS = 12


@dataclass(frozen=True)
class Indicator:
    key: str
    title: str
    measure: Measure
    direction: str
    target: Decimal
    due: date | None
    weight: Decimal | None
    source: str
    source_short: str
    citation: str

    @property
    def unit(self) -> str:
        return self.measure.unit

    def meets(self, value: Decimal | None) -> bool | None:
        """Whether ``value`` meets the target (None: nothing to judge)."""
        if value is None:
            return None
        return value >= self.target if self.direction == HIGHER else value <= self.target


def indicators(*, division: Division) -> list[Indicator]:
    """The indicators of the division's city, in the pack's order (those whose measure no module declares are left out)."""
    found = []
    for rule in rules_for(division=division, module="supervision", kind="indicator"):
        declared = MEASURES.get(rule.params.get("measure", ""))
        if declared is None:
            continue
        target = rule.params.get("target_share") if declared.kind != SUM else rule.params.get("target")
        weight = rule.params.get("weight")
        found.append(Indicator(
            key=rule.key, title=rule.title, measure=declared, direction=rule.params.get("direction", HIGHER),
            target=Decimal(str(target if target is not None else 0)),
            due=date.fromisoformat(rule.params["due"]) if rule.params.get("due") else None,
            weight=Decimal(str(weight)) if weight is not None else None,
            source=rule.source.title, source_short=rule.source.short_name, citation=rule.citation))
    return found


def indicator_get(*, division: Division, key: str) -> Indicator:
    found = next((i for i in indicators(division=division) if i.key == key), None)
    if found is None:
        raise NotFound()
    return found


@dataclass
class Figure:
    """One measure of one division for one month."""

    numerator: Decimal | None = None
    denominator: Decimal | None = None
    counted: int = 0
    final: bool = False

    def value(self, kind: str) -> Decimal | None:
        return value_of(kind, self.numerator, self.denominator)


def _figures(division_ids, measures, months) -> dict[tuple[int, str, date], Figure]:
    rows = Snapshot.objects.filter(division_id__in=division_ids, measure__in=measures, month__in=months).values_list(
        "division_id", "measure", "month", "numerator", "denominator", "counted", "final")
    return {(pk, code, month): Figure(numerator, denominator, counted, final)
            for pk, code, month, numerator, denominator, counted, final in rows}


def months_taken(*, division: Division) -> list[Month]:
    """The months with figures for the division's city, newest first."""
    city_path = division.path.split("/", 1)[0] + "/"
    months = (Snapshot.objects.filter(division__path=city_path).order_by("-month").values_list("month", flat=True).distinct())
    return [Month(m) for m in months]


def latest_month(*, division: Division) -> Month:
    taken = months_taken(division=division)
    return taken[0] if taken else Month.of(timezone.localdate())


@dataclass
class UnitRow:
    division: Division
    figure: Figure
    value: Decimal | None
    meets: bool | None
    records: str | None = None  # the page of the records behind a community's figure


@dataclass
class BoardRow:
    indicator: Indicator
    figure: Figure
    value: Decimal | None
    meets: bool | None
    previous: Decimal | None
    units_below: int
    units_judged: int
    trend: list[tuple[Month, Decimal | None]] = field(default_factory=list)


def children_of(*, user, division: Division) -> list[Division]:
    """The units under ``division`` the user sees (streets under a district, and so on; no grids)."""
    children = visible_to(user, "supervision.view_indicators", Division.objects.filter(parent=division))
    return list(children.exclude(level=DivisionLevel.GRID).order_by("code"))


def board(*, user, division: Division, month: Month) -> list[BoardRow]:
    """Every indicator of ``division`` for ``month``: its figure against the target, last month's, how
    many of the units under it miss the target, and the trend of the last twelve months (two queries)."""
    found = indicators(division=division)
    children = children_of(user=user, division=division)
    trend_months = [month]
    for _ in range(TREND_MONTHS - 1):
        trend_months.append(trend_months[-1].previous())
    codes = {i.measure.code for i in found}
    mine = _figures([division.pk], codes, [m.since for m in trend_months])
    theirs = _figures([c.pk for c in children], codes, [month.since])
    rows = []
    for indicator in found:
        kind = indicator.measure.kind
        figure = mine.get((division.pk, indicator.measure.code, month.since), Figure())
        value = figure.value(kind)
        last = mine.get((division.pk, indicator.measure.code, month.previous().since))
        judged = [indicator.meets(f.value(kind)) for c in children
                  if (f := theirs.get((c.pk, indicator.measure.code, month.since))) is not None]
        judged = [j for j in judged if j is not None]
        trend = [(m, f.value(kind) if (f := mine.get((division.pk, indicator.measure.code, m.since))) else None)
                 for m in reversed(trend_months)]
        rows.append(BoardRow(indicator=indicator, figure=figure, value=value, meets=indicator.meets(value),
                             previous=last.value(kind) if last else None, units_below=judged.count(False),
                             units_judged=len(judged), trend=trend))
    return rows


def ranking(*, user, division: Division, indicator: Indicator, month: Month) -> list[UnitRow]:
    """The units under ``division`` by their figure of ``indicator`` for ``month``: furthest from the
    target first, units without a figure last."""
    children = children_of(user=user, division=division)
    figures = _figures([c.pk for c in children], [indicator.measure.code], [month.since])
    kind = indicator.measure.kind
    rows = []
    for child in children:
        figure = figures.get((child.pk, indicator.measure.code, month.since), Figure())
        value = figure.value(kind)
        rows.append(UnitRow(division=child, figure=figure, value=value, meets=indicator.meets(value)))
    worst_first = 1 if indicator.direction == HIGHER else -1
    return sorted(rows, key=lambda r: (r.value is None, worst_first * (r.value or 0), r.division.code))


def trend(*, division: Division, indicator: Indicator, months: int = TREND_MONTHS, until: Month) -> list[tuple[Month, Decimal | None]]:
    wanted = [until]
    for _ in range(months - 1):
        wanted.append(wanted[-1].previous())
    figures = _figures([division.pk], [indicator.measure.code], [m.since for m in wanted])
    return [(m, f.value(indicator.measure.kind) if (f := figures.get((division.pk, indicator.measure.code, m.since))) else None)
            for m in reversed(wanted)]

