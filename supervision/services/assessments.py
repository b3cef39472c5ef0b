"""The yearly target-responsibility assessment (目标责任制考核): every unit under the bureau (streets
and towns by default) scored on every indicator that carries a weight, from the year's monthly
figures — a stock as the year's last month taken left it, a flow summed over the year's months —
by the pack's scoring rule (``supervision.assessment_scoring``), in a background task
(``assessment_start`` checks and queues, ``assessment_score_run`` scores); assessors add items by
hand with evidence; the bureau signs the ranked result off, and from then on nothing in it changes."""

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.measures import MEASURES
from core.uploads import document_from_upload
from org.models import LEVEL_ORDER, Division, DivisionLevel
from rulepack.selectors import param

from ..models import (
    Assessment,
    AssessmentScore,
    AssessmentStatus,
    JobStage,
    JobStatus,
    ManualItem,
    Snapshot,
)
from ..rules import ALL_OR_NOTHING, HIGHER
from ..selectors import Figure, indicators
from .jobs import Progress, job_enqueue, job_run, quiet

CENT = Decimal("0.01")
ASSESSED_LEVELS = (DivisionLevel.DISTRICT, DivisionLevel.STREET)


def points_for(*, value: Decimal | None, target: Decimal, weight: Decimal, direction: str, scoring: str) -> Decimal:
    """An indicator's points: the whole weight when met; else, in proportion to how near the figure
    is to the target (proportional scoring) or none (all or nothing). No figure scores nothing."""
    if value is None:
        return Decimal(0)
    met = value >= target if direction == HIGHER else value <= target
    if met:
        share = Decimal(1)
    elif scoring == ALL_OR_NOTHING:
        share = Decimal(0)
    elif direction == HIGHER:
        share = max(Decimal(0), value / target) if target else Decimal(0)
    else:
        share = target / value if value else Decimal(0)
    return (weight * min(share, Decimal(1))).quantize(CENT, rounding=ROUND_HALF_UP)


def year_figures(units: list[Division], codes: set[str], year: int) -> dict[tuple[int, str], Figure]:
    """For each unit and measure, the year's figure: a stock's latest month of the year, a flow's
    months added up (numerators and denominators; divisions counted at most)."""
    rows = Snapshot.objects.filter(division__in=units, measure__in=codes, month__gte=date(year, 1, 1),
                                   month__lt=date(year + 1, 1, 1)).order_by("month")
    figures: dict[tuple[int, str], Figure] = {}
    for row in rows:
        key = (row.division_id, row.measure)
        if MEASURES[row.measure].flow and key in figures:
            found = figures[key]
            found.numerator += row.numerator
            found.denominator = None if row.denominator is None else (found.denominator or Decimal(0)) + row.denominator
            found.counted = max(found.counted, row.counted)
        else:
            figures[key] = Figure(row.numerator, row.denominator, row.counted, row.final)
    return figures


def _scores(assessment: Assessment, report: Progress = quiet) -> list[AssessmentScore]:
    issuer = assessment.issuer
    report(JobStage.FIGURES, 0)
    units = list(Division.objects.filter(path__under=issuer.path, level=assessment.unit_level).order_by("code"))
    weighed = [i for i in indicators(division=issuer) if i.weight]
    figures = year_figures(units, {i.measure.code for i in weighed}, assessment.year)
    scores = []
    for number, unit in enumerate(units):
        report(JobStage.SCORING, 20 + 70 * number // len(units))
        for indicator in weighed:
            value = indicator.value(figures.get((unit.pk, indicator.measure.code)))
            scores.append(AssessmentScore(
                assessment=assessment, division=unit, indicator_key=indicator.key, indicator_title=indicator.title,
                unit=indicator.unit, value=value, target=indicator.target, weight=indicator.weight,
                points=points_for(value=value, target=indicator.target, weight=indicator.weight, direction=indicator.direction,
                                  scoring=assessment.scoring)))
    return scores


def assessment_start(*, actor, issuer: Division, year: int, unit_level: str = DivisionLevel.STREET,
                     today: date | None = None, run: bool = False) -> Assessment:
    """Queue the scoring of the units at ``unit_level`` under ``issuer`` for ``year`` from its monthly
    figures. The inputs are checked here, so a bad one (or a second assessment of the year) is
    refused before anything is queued; the row is saved at once (queued) and
    ``assessment_score_run`` scores it, in a task. With ``run`` it is scored at once (the demo)."""
    from ..tasks import assessment_score_task

    today = today or timezone.localdate()
    if not actor.has_perm("supervision.assess", issuer):
        raise PermissionDenied(_("Only the civil-affairs bureau assesses."))
    if unit_level not in ASSESSED_LEVELS or LEVEL_ORDER.index(unit_level) <= LEVEL_ORDER.index(issuer.level):
        raise ValidationFailed(fields={"unit_level": [_("Choose a level below the one that assesses.")]})
    if year > today.year:
        raise ValidationFailed(fields={"year": [_("A year that has not begun cannot be assessed.")]})
    if not Snapshot.objects.filter(division=issuer, month__gte=date(year, 1, 1), month__lt=date(year + 1, 1, 1)).exists():
        raise ValidationFailed(fields={"year": [_("There are no monthly figures of %(year)s to assess from.") % {"year": year}]})
    with transaction.atomic():
        try:
            with transaction.atomic():
                assessment = Assessment.objects.create(issuer=issuer, year=year, unit_level=unit_level, created_by=actor,
                                                       job_status=JobStatus.QUEUED,
                                                       scoring=str(param(division=issuer, key="supervision.assessment_scoring")))
        except IntegrityError:
            raise Conflict(_("The assessment of %(year)s is already under way.") % {"year": year}, code="exists") from None
        audit_record(actor=actor, action="supervision.assessment.started", target=assessment, division=issuer,
                     changes={"year": year})
        if not run:
            job_enqueue(assessment_score_task, assessment.pk)
    if run:
        return assessment_score_run(assessment_id=assessment.pk, raise_errors=True)
    return assessment


def _draft(actor, assessment: Assessment, *, scored: bool = True) -> Assessment:
    """The assessment locked, for a change by ``actor``: not signed off, and (``scored``) its units scored."""
    assessment = Assessment.objects.select_for_update(of=("self",)).select_related("issuer").get(pk=assessment.pk)
    if not actor.has_perm("supervision.assess", assessment.issuer):
        raise PermissionDenied(_("Only the civil-affairs bureau assesses."))
    if assessment.status != AssessmentStatus.DRAFT:
        raise Conflict(_("This assessment is signed off: it no longer changes."), code="signed")
    if assessment.computing:
        raise Conflict(_("The units are being scored: wait until it is done."), code="computing")
    if scored and assessment.job_status != JobStatus.DONE:
        raise Conflict(_("The units are not scored: score them again first."), code="not_scored")
    return assessment


def assessment_recompute(*, actor, assessment: Assessment, run: bool = False) -> Assessment:
    """Queue a new scoring from the figures as they are now (a month closed since, a weight changed,
    or a scoring that failed); items added by hand stay. The scores in place are replaced in the
    same transaction that writes the new ones, so a failure leaves them as they were."""
    from ..tasks import assessment_score_task

    with transaction.atomic():
        assessment = _draft(actor, assessment, scored=False)
        assessment.scoring = str(param(division=assessment.issuer, key="supervision.assessment_scoring"))
        assessment.job_status, assessment.progress, assessment.stage, assessment.error = JobStatus.QUEUED, 0, "", ""
        assessment.finished_at = None
        assessment.save(update_fields=["scoring", "job_status", "progress", "stage", "error", "finished_at"])
        audit_record(actor=actor, action="supervision.assessment.recomputed", target=assessment, division=assessment.issuer)
        if not run:
            job_enqueue(assessment_score_task, assessment.pk)
    if run:
        return assessment_score_run(assessment_id=assessment.pk, raise_errors=True)
    return assessment


def assessment_score_run(*, assessment_id: int, progress: Progress = quiet, raise_errors: bool = False) -> Assessment:
    """The task's work: score a queued assessment's units on every weighed indicator. The scores are
    written in one transaction at the end (replacing any earlier ones), so a failure leaves the
    assessment failed and its scores as they were."""
    job_run(Assessment, assessment_id, lambda report: _score_write(assessment_id, report), progress=progress,
            raise_errors=raise_errors)
    return Assessment.objects.select_related("issuer").get(pk=assessment_id)


def _score_write(assessment_id: int, report: Progress) -> None:
    scores = _scores(Assessment.objects.select_related("issuer").get(pk=assessment_id), report)
    report(JobStage.SAVING, 95)
    with transaction.atomic():
        assessment = Assessment.objects.select_for_update(of=("self",)).select_related("issuer").get(pk=assessment_id)
        if assessment.job_status != JobStatus.RUNNING or assessment.status != AssessmentStatus.DRAFT:
            raise Conflict(_("The scoring was stopped before it was saved."), code="stopped")
        AssessmentScore.objects.filter(assessment=assessment).delete()
        AssessmentScore.objects.bulk_create(scores, batch_size=2000)
        assessment.job_status, assessment.progress, assessment.stage = JobStatus.DONE, 100, ""
        assessment.finished_at = timezone.now()
        assessment.save(update_fields=["job_status", "progress", "stage", "finished_at"])
        audit_record(actor="system", action="supervision.assessment.scored", target=assessment, division=assessment.issuer,
                     changes={"year": assessment.year})


@transaction.atomic
def manual_item_add(*, actor, assessment: Assessment, division: Division, title: str, points: Decimal, evidence=None
                    ) -> ManualItem:
    assessment = _draft(actor, assessment)
    problems = {}
    if not assessment.scores.filter(division=division).exists():
        problems["division"] = [_("Choose one of the units assessed.")]
    if not title.strip():
        problems["title"] = [_("Say what the points are for.")]
    if not points or abs(points) > 100:
        problems["points"] = [_("Points are added or taken off, from -100 to 100, not zero.")]
    if evidence is None:
        problems["evidence"] = [_("Points given by hand need their evidence.")]
    if problems:
        raise ValidationFailed(fields=problems)
    item = ManualItem(assessment=assessment, division=division, title=title.strip()[:200], points=points, assessor=actor)
    document = document_from_upload(evidence, field="evidence")
    item.evidence.save(document.name, document, save=False)
    item.save()
    audit_record(actor=actor, action="supervision.assessment.item_added", target=assessment, division=division,
                 changes={"item": item.title, "score": points})
    return item


@transaction.atomic
def assessment_sign(*, actor, assessment: Assessment, now: datetime | None = None) -> Assessment:
    """Sign the ranked result off: from then on the assessment never changes."""
    assessment = _draft(actor, assessment)
    assessment.status, assessment.signed_by, assessment.signed_at = AssessmentStatus.SIGNED, actor, now or timezone.now()
    assessment.save(update_fields=["status", "signed_by", "signed_at"])
    audit_record(actor=actor, action="supervision.assessment.signed", target=assessment, division=assessment.issuer,
                 changes={"year": assessment.year})
    return assessment
