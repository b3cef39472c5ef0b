"""Reading supervision: the city's indicators (rules of its pack) against the monthly figures
(``Snapshot``) of a division and of the units under it, ranked, and their trend by month."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Case, Count, Min, Q, When
from django.utils import timezone

from accounts.permissions import get_for_user, holds_any, visible_to
from core.errors import NotFound
from core.measures import MEASURES, SUM, Measure, Month, value_of
from org.models import Division, DivisionLevel
from rulepack.selectors import rules_for

from .models import (
    Assessment,
    AssessmentScore,
    Inspection,
    InspectionCampaign,
    ManualItem,
    Notice,
    NoticeEntry,
    NoticeReceipt,
    NoticeStatus,
    Plan,
    PlanStatus,
    Rectification,
    RectificationStatus,
    Snapshot,
)
from .rules import HIGHER, takes_share

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
    per_community: bool = False

    @property
    def unit(self) -> str:
        return self.measure.unit

    def value(self, figure: "Figure | None") -> Decimal | None:
        """The figure this indicator judges: the measure's value, or its average per community counted."""
        if figure is None:
            return None
        if self.per_community and self.measure.kind == SUM:
            return figure.numerator / figure.counted if figure.numerator is not None and figure.counted else None
        return figure.value(self.measure.kind)

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
        target = rule.params.get("target_share") if takes_share(declared) else rule.params.get("target")
        weight = rule.params.get("weight")
        found.append(Indicator(
            key=rule.key, title=rule.title, measure=declared, direction=rule.params.get("direction", HIGHER),
            target=Decimal(str(target if target is not None else 0)),
            due=date.fromisoformat(rule.params["due"]) if rule.params.get("due") else None,
            weight=Decimal(str(weight)) if weight is not None else None,
            source=rule.source.title, source_short=rule.source.short_name, citation=rule.citation,
            per_community=bool(rule.params.get("per_community"))))
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
        code = indicator.measure.code
        figure = mine.get((division.pk, code, month.since), Figure())
        value = indicator.value(figure)
        judged = [indicator.meets(indicator.value(theirs.get((c.pk, code, month.since)))) for c in children]
        judged = [j for j in judged if j is not None]
        trend = [(m, indicator.value(mine.get((division.pk, code, m.since)))) for m in reversed(trend_months)]
        rows.append(BoardRow(indicator=indicator, figure=figure, value=value, meets=indicator.meets(value),
                             previous=indicator.value(mine.get((division.pk, code, month.previous().since))),
                             units_below=judged.count(False), units_judged=len(judged), trend=trend))
    return rows


def ranking(*, user, division: Division, indicator: Indicator, month: Month) -> list[UnitRow]:
    """The units under ``division`` by their figure of ``indicator`` for ``month``: furthest from the
    target first, units without a figure last."""
    children = children_of(user=user, division=division)
    figures = _figures([c.pk for c in children], [indicator.measure.code], [month.since])
    rows = []
    for child in children:
        figure = figures.get((child.pk, indicator.measure.code, month.since), Figure())
        value = indicator.value(figure)
        rows.append(UnitRow(division=child, figure=figure, value=value, meets=indicator.meets(value)))
    worst_first = 1 if indicator.direction == HIGHER else -1
    return sorted(rows, key=lambda r: (r.value is None, worst_first * (r.value or 0), r.division.code))


def trend(*, division: Division, indicator: Indicator, months: int = TREND_MONTHS, until: Month) -> list[tuple[Month, Decimal | None]]:
    wanted = [until]
    for _ in range(months - 1):
        wanted.append(wanted[-1].previous())
    figures = _figures([division.pk], [indicator.measure.code], [m.since for m in wanted])
    return [(m, indicator.value(figures.get((division.pk, indicator.measure.code, m.since)))) for m in reversed(wanted)]



# Notices -------------------------------------------------------------------------------------------

def notice_list(*, user, status: str | None = None, month: Month | None = None):
    notices = visible_to(user, "supervision.view_notice", Notice.objects.select_related("issuer", "published_by"))
    if status:
        notices = notices.filter(status=status)
    if month is not None:
        notices = notices.filter(month=month.since)
    if not user.is_superuser and not holds_any(user, "supervision.draft_notice"):
        notices = notices.filter(status=NoticeStatus.PUBLISHED)  # a unit reads what was published to it, not drafts
    return notices.annotate(units=Count("receipts", distinct=True),
                            answered=Count("receipts", filter=Q(receipts__responded_at__isnull=False), distinct=True)
                            ).order_by("-month", "-id")


def notice_get(*, user, pk: int) -> Notice:
    notice = get_for_user(user, "supervision.view_notice", Notice.objects.select_related("issuer", "published_by", "drafted_by"), pk=pk)
    if notice.status == NoticeStatus.DRAFT and not user.has_perm("supervision.draft_notice", notice.issuer):
        raise NotFound()
    return notice


def notice_entries(*, notice: Notice) -> list[tuple[str, list[NoticeEntry]]]:
    """The notice's entries by indicator, in rank order."""
    grouped: dict[str, list[NoticeEntry]] = {}
    for entry in notice.entries.select_related("division__parent").order_by("indicator_key", "rank"):
        grouped.setdefault(entry.indicator_key, []).append(entry)
    return [(rows[0].indicator_title, rows) for rows in grouped.values()]


def notice_receipts(*, user, notice: Notice) -> list[NoticeReceipt]:
    receipts = visible_to(user, "supervision.view_noticereceipt", notice.receipts.select_related("division", "responded_by"))
    if user.has_perm("supervision.draft_notice", notice.issuer):
        receipts = notice.receipts.select_related("division", "responded_by")  # the bureau sees every unit's answer
    return list(receipts.order_by("division__code"))


def receipts_waiting(*, user):
    """Published notices naming a unit of the user's that it has not answered yet."""
    return visible_to(user, "supervision.view_noticereceipt", NoticeReceipt.objects.filter(
        responded_at__isnull=True, notice__status=NoticeStatus.PUBLISHED).select_related("notice", "division")
    ).order_by("notice__published_at")


# Rectification and plans --------------------------------------------------------------------------

def rectification_list(*, user, status: str | None = None, overdue: bool = False, today: date | None = None):
    items = visible_to(user, "supervision.view_rectification",
                       Rectification.objects.select_related("division__parent", "owner"))
    if status:
        items = items.filter(status=status)
    if overdue:
        items = items.exclude(status=RectificationStatus.CLOSED).filter(deadline__lt=today or timezone.localdate())
    waiting_first = Case(When(status=RectificationStatus.OPEN, then=0), When(status=RectificationStatus.ANSWERED, then=1), default=2)
    return items.order_by(waiting_first, "deadline", "id")


def rectification_get(*, user, pk: int) -> Rectification:
    return get_for_user(user, "supervision.view_rectification",
                        Rectification.objects.select_related("division__parent", "owner", "opened_by", "verified_by", "notice"), pk=pk)


def plan_list(*, user, status: str | None = None, today: date | None = None):
    """Plans the user sees, each with ``next_due`` (its first milestone not done) and ``overdue`` (milestones past due and not done)."""
    today = today or timezone.localdate()
    plans = visible_to(user, "supervision.view_plan", Plan.objects.select_related("community__parent"))
    if status:
        plans = plans.filter(status=status)
    pending = Q(milestones__done_at__isnull=True)
    return plans.annotate(next_due=Min("milestones__due", filter=pending),
                          overdue=Count("milestones", filter=pending & Q(milestones__due__lt=today))).order_by(
        Case(When(status=PlanStatus.OPEN, then=0), default=1), "next_due", "id")


def plan_get(*, user, pk: int) -> Plan:
    return get_for_user(user, "supervision.view_plan", Plan.objects.select_related("community__parent", "created_by"), pk=pk)


def plan_standards(*, division: Division) -> list[tuple[str, str]]:
    """The register's standards a community may miss (the rules a plan can address), as (key, title)."""
    from registry.compliance import COMMUNITY_RULE_KINDS, report_rules

    return [(rule.key, rule.title) for rule in report_rules(division=division) if rule.kind in COMMUNITY_RULE_KINDS]


# The yearly assessment -----------------------------------------------------------------------------

def assessment_list(*, user):
    return visible_to(user, "supervision.view_assessment", Assessment.objects.select_related("issuer", "signed_by")).order_by("-year", "-id")


def assessment_get(*, user, pk: int) -> Assessment:
    return get_for_user(user, "supervision.view_assessment", Assessment.objects.select_related("issuer", "signed_by", "created_by"),
                        pk=pk)


@dataclass
class AssessedUnit:
    division: Division
    scores: list  # AssessmentScore in the columns' order (None where missing)
    manual: Decimal
    total: Decimal
    rank: int = 0


def assessment_results(*, user, assessment: Assessment) -> tuple[list[tuple[str, str, Decimal]], list[AssessedUnit]]:
    """The columns (indicator key, title, weight) and the units ranked by total (indicator points
    plus items by hand), highest first; a unit's staff read their own unit's row, the bureau all."""
    scores = AssessmentScore.objects.filter(assessment=assessment).select_related("division__parent")
    manual = ManualItem.objects.filter(assessment=assessment)
    if not user.has_perm("supervision.assess", assessment.issuer):
        scores = visible_to(user, "supervision.view_assessment", scores)
        manual = visible_to(user, "supervision.view_assessment", manual)
    columns: dict[str, tuple[str, str, Decimal]] = {}
    by_unit: dict[int, dict] = {}
    for score in scores.order_by("division__code", "indicator_key"):
        columns.setdefault(score.indicator_key, (score.indicator_key, score.indicator_title, score.weight))
        by_unit.setdefault(score.division_id, {"division": score.division, "scores": {}})["scores"][score.indicator_key] = score
    extra: dict[int, Decimal] = {}
    for division_id, points in manual.values_list("division_id", "points"):
        extra[division_id] = extra.get(division_id, Decimal(0)) + points
    keys = sorted(columns, key=lambda k: int(k.rsplit(".", 1)[-1]) if k.rsplit(".", 1)[-1].isdigit() else 0)
    units = []
    for pk, found in by_unit.items():
        row = [found["scores"].get(k) for k in keys]
        total = sum((s.points for s in row if s is not None), Decimal(0)) + extra.get(pk, Decimal(0))
        units.append(AssessedUnit(division=found["division"], scores=row, manual=extra.get(pk, Decimal(0)), total=total))
    units.sort(key=lambda u: (-u.total, u.division.code))
    for rank, unit in enumerate(units, start=1):
        unit.rank = rank
    return [columns[k] for k in keys], units


# Double random inspections -------------------------------------------------------------------------

def campaign_list(*, user):
    return visible_to(user, "supervision.view_inspection", InspectionCampaign.objects.select_related("issuer", "created_by")).annotate(
        drawn=Count("inspections", distinct=True),
        done=Count("inspections", filter=Q(inspections__submitted_at__isnull=False), distinct=True)).order_by("-drawn_at", "-id")


def campaign_get(*, user, pk: int) -> InspectionCampaign:
    return get_for_user(user, "supervision.view_inspection", InspectionCampaign.objects.select_related("issuer", "created_by"), pk=pk)


def campaign_inspections(*, user, campaign: InspectionCampaign) -> list[Inspection]:
    """The communities drawn, in the order drawn, with their inspectors and findings wrong (the bureau
    sees all; a unit its own; an inspector those they were drawn for)."""
    inspections = campaign.inspections.select_related("community__parent").prefetch_related("inspectors")
    if not user.has_perm("supervision.assess", campaign.issuer):
        inspections = inspections.filter(Q(pk__in=visible_to(user, "supervision.view_inspection", Inspection.objects.all()).values("pk"))
                                         | Q(inspectors=user)).distinct()
    return list(inspections.annotate(wrong=Count("findings", filter=Q(findings__passed=False))).order_by("order"))


def inspection_get(*, user, pk: int) -> Inspection:
    """An inspection the user may open: the bureau's, the community's, or one they were drawn to inspect."""
    found = Inspection.objects.select_related("campaign__issuer", "community__parent", "submitted_by").filter(pk=pk).first()
    if found is None or not (found.inspectors.filter(pk=user.pk).exists()
                             or user.has_perm("supervision.view_inspection", found.community)
                             or user.has_perm("supervision.assess", found.campaign.issuer)):
        raise NotFound()
    return found


def manual_items(*, assessment: Assessment, units: list[AssessedUnit]) -> list[ManualItem]:
    """The items added by hand for the units the reader sees (``assessment_results``)."""
    return list(ManualItem.objects.filter(assessment=assessment, division__in=[u.division for u in units])
                .select_related("division", "assessor"))


def manual_item_get(*, user, assessment: Assessment, pk: int) -> ManualItem:
    return get_for_user(user, "supervision.view_assessment", ManualItem.objects.filter(assessment=assessment), pk=pk)
