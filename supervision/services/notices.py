"""Notices (通报): drafted from the month's figures (in a background task: ``notice_draft`` checks and
queues, ``notice_draft_run`` computes), edited, published once to the units below a target, answered by them."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, RoleAssignment
from audit.services import audit_record
from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.measures import Month
from notifications.services import notify
from org.models import LEVEL_ORDER, Division, DivisionLevel

from ..models import JobStage, JobStatus, Notice, NoticeEntry, NoticeReceipt, NoticeStatus, Snapshot
from .jobs import Progress, job_enqueue, job_run, quiet

NOTICE_LEVELS = (DivisionLevel.DISTRICT, DivisionLevel.STREET, DivisionLevel.COMMUNITY)


def _notice_body(issuer: Division, month: Month, entries: list[NoticeEntry], indicators: dict) -> str:
    """The wording a clerk would write: what was checked, each indicator's units below its target
    with their figures and the rule they miss, and what the units are to do."""
    from ..templatetags.supervision_tags import figure_text

    lines = [str(_("According to the monthly figures of %(month)s, the following units are below the targets of the "
                   "community service rooms. They are notified as follows:") % {"month": month.words()}), ""]
    by_indicator: dict[str, list[NoticeEntry]] = {}
    for entry in entries:
        by_indicator.setdefault(entry.indicator_key, []).append(entry)
    for number, (key, rows) in enumerate(by_indicator.items(), start=1):
        found = indicators[key]
        lines.append(f"{number}. {found.title}（{_('target')} {'≤' if found.direction == 'lower' else '≥'} "
                     f"{figure_text(found.target, found.unit)}）：")
        lines.append("；".join(f"{row.division.name} {figure_text(row.value, row.unit)}" for row in rows) + "。")
        if found.citation:
            lines.append(str(_("Rule: %(citation)s (%(source)s)") % {"citation": found.citation, "source": found.source_short}))
        lines.append("")
    lines.append(str(_("The units notified are to answer within fifteen days with the causes and the measures they "
                       "take, and to open a plan for each community that misses a standard.")))
    return "\n".join(lines)


def notice_draft(*, actor, issuer: Division, month: Month, unit_level: str = DivisionLevel.STREET, run: bool = False) -> Notice:
    """Queue the draft of the notice of ``month`` for the units at ``unit_level`` under ``issuer``
    that miss a target. The inputs are checked here, so a bad one is refused before anything is
    queued; the row is saved at once (queued) and ``notice_draft_run`` fills it in, in a task. With
    ``run`` it is drafted at once, in this call (the demo)."""
    from ..selectors import indicators
    from ..tasks import notice_draft_task

    if not actor.has_perm("supervision.draft_notice", issuer):
        raise PermissionDenied(_("Only the civil-affairs bureau drafts notices."))
    if unit_level not in NOTICE_LEVELS or LEVEL_ORDER.index(unit_level) <= LEVEL_ORDER.index(issuer.level):
        raise ValidationFailed(fields={"unit_level": [_("Choose a level below the one that issues the notice.")]})
    codes = {i.measure.code for i in indicators(division=issuer)}
    if not Snapshot.objects.filter(month=month.since, measure__in=codes, division__path__under=issuer.path,
                                   division__level=unit_level).exists():
        raise ValidationFailed(fields={"month": [_("There are no figures of %(month)s to draft a notice from.") % {"month": month.words()}]})
    with transaction.atomic():
        try:
            with transaction.atomic():
                notice = Notice.objects.create(
                    issuer=issuer, month=month.since, unit_level=unit_level, drafted_by=actor, job_status=JobStatus.QUEUED,
                    title=str(_("Notice on the community service rooms of %(division)s, %(month)s") % {
                        "division": issuer.name, "month": month.words()})[:200])
        except IntegrityError:  # the same month and units, queued a moment ago and still computing
            raise Conflict(_("A notice of %(month)s for these units is already being drafted: wait until it is ready.")
                           % {"month": month.words()}, code="computing") from None
        audit_record(actor=actor, action="supervision.notice.requested", target=notice, division=issuer,
                     changes={"month": str(month)})
        if not run:
            job_enqueue(notice_draft_task, notice.pk)
    if run:
        return notice_draft_run(notice_id=notice.pk, raise_errors=True)
    return notice


@transaction.atomic
def notice_draft_again(*, actor, notice: Notice) -> Notice:
    """Queue a draft that failed once more, for the same month and units."""
    from ..tasks import notice_draft_task

    notice = Notice.objects.select_for_update(of=("self",)).select_related("issuer").get(pk=notice.pk)
    if not actor.has_perm("supervision.draft_notice", notice.issuer):
        raise PermissionDenied(_("Only the civil-affairs bureau drafts notices."))
    if notice.job_status != JobStatus.FAILED:
        raise Conflict(_("Only a draft that failed is drafted again."), code="not_failed")
    try:
        with transaction.atomic():
            Notice.objects.filter(pk=notice.pk).update(job_status=JobStatus.QUEUED, progress=0, stage="", error="",
                                                       finished_at=None)
    except IntegrityError:
        raise Conflict(_("A notice of %(month)s for these units is already being drafted: wait until it is ready.")
                       % {"month": Month(notice.month).words()}, code="computing") from None
    audit_record(actor=actor, action="supervision.notice.requested", target=notice, division=notice.issuer,
                 changes={"month": str(Month(notice.month))})
    job_enqueue(notice_draft_task, notice.pk)
    notice.refresh_from_db()
    return notice


def notice_draft_run(*, notice_id: int, progress: Progress = quiet, raise_errors: bool = False) -> Notice:
    """The task's work: draft a queued notice from the month's figures (kept in the notice as they
    are now), the units below each target furthest first, and its wording; the entries and the
    wording are written in one transaction at the end, so a failure leaves the notice failed and empty."""
    job_run(Notice, notice_id, lambda report: _draft_write(notice_id, report), progress=progress, raise_errors=raise_errors)
    return Notice.objects.select_related("issuer").get(pk=notice_id)


def _draft_write(notice_id: int, report: Progress) -> None:
    from ..selectors import Figure, indicators

    notice = Notice.objects.select_related("issuer").get(pk=notice_id)
    issuer, month = notice.issuer, Month(notice.month)
    report(JobStage.FIGURES, 0)
    units = list(Division.objects.filter(path__under=issuer.path, level=notice.unit_level))
    found = {i.key: i for i in indicators(division=issuer)}
    figures = {(row.division_id, row.measure): row for row in Snapshot.objects.filter(
        month=month.since, division__in=units, measure__in={i.measure.code for i in found.values()})}
    if not figures:
        raise ValidationFailed(fields={"month": [_("There are no figures of %(month)s to draft a notice from.") % {"month": month.words()}]})
    entries = []
    for number, (key, indicator) in enumerate(found.items()):
        report(JobStage.COMPARING, 10 + 80 * number // len(found))
        below = []
        for unit in units:
            row = figures.get((unit.pk, indicator.measure.code))
            value = indicator.value(Figure(row.numerator, row.denominator, row.counted, row.final)) if row else None
            if indicator.meets(value) is False:
                below.append((unit, value))
        below.sort(key=lambda pair: (pair[1] if indicator.direction == "higher" else -pair[1], pair[0].code))
        entries += [NoticeEntry(division=unit, indicator_key=key, indicator_title=indicator.title, unit=indicator.unit,
                                direction=indicator.direction, value=value, target=indicator.target, rank=rank,
                                rule=f"{indicator.citation}（{indicator.source_short}）" if indicator.citation else "")
                    for rank, (unit, value) in enumerate(below, start=1)]
    report(JobStage.SAVING, 95)
    body = _notice_body(issuer, month, entries, found)
    with transaction.atomic():
        notice = Notice.objects.select_for_update(of=("self",)).get(pk=notice_id)
        if notice.job_status != JobStatus.RUNNING:
            raise Conflict(_("The draft was stopped before it was saved."), code="stopped")
        for entry in entries:
            entry.notice = notice
        NoticeEntry.objects.bulk_create(entries, batch_size=2000)
        notice.body, notice.job_status, notice.progress, notice.stage = body, JobStatus.DONE, 100, ""
        notice.finished_at = timezone.now()
        notice.save(update_fields=["body", "job_status", "progress", "stage", "finished_at"])
        audit_record(actor="system", action="supervision.notice.drafted", target=notice, division=issuer,
                     changes={"month": str(month), "units": len({e.division_id for e in entries}), "entries": len(entries)})


def _draft_of(actor, notice: Notice) -> Notice:
    notice = Notice.objects.select_for_update(of=("self",)).select_related("issuer").get(pk=notice.pk)
    if not actor.has_perm("supervision.draft_notice", notice.issuer):
        raise PermissionDenied(_("Only the civil-affairs bureau drafts notices."))
    if notice.status != NoticeStatus.DRAFT:
        raise Conflict(_("This notice is published: it no longer changes."), code="published")
    if notice.job_status != JobStatus.DONE:
        raise Conflict(_("The notice is not drafted yet: wait until it is ready."), code="not_ready")
    return notice


@transaction.atomic
def notice_update(*, actor, notice: Notice, title: str, body: str) -> Notice:
    notice = _draft_of(actor, notice)
    title, body = title.strip(), body.strip()
    problems = {}
    if not title:
        problems["title"] = [_("Give the notice a title.")]
    if not body:
        problems["body"] = [_("The notice needs its wording.")]
    if problems:
        raise ValidationFailed(fields=problems)
    before = {"title": notice.title, "body": notice.body}
    notice.title, notice.body = title[:200], body
    notice.save(update_fields=["title", "body"])
    audit_record(actor=actor, action="supervision.notice.edited", target=notice, division=notice.issuer,
                 changes={k: [before[k], getattr(notice, k)] for k in before if before[k] != getattr(notice, k)})
    return notice


@transaction.atomic
def notice_publish(*, actor, notice: Notice, now: datetime | None = None) -> Notice:
    """Publish the draft to the units it names (each gets a receipt and its staff a notification).
    A published notice is never changed or published again."""
    notice = _draft_of(actor, notice)
    units = list(Division.objects.filter(pk__in=notice.entries.values("division_id")).order_by("code"))
    if not units:
        raise ValidationFailed(_("No unit is below a target: there is nobody to notify."))
    notice.status, notice.published_by, notice.published_at = NoticeStatus.PUBLISHED, actor, now or timezone.now()
    notice.save(update_fields=["status", "published_by", "published_at"])
    NoticeReceipt.objects.bulk_create([NoticeReceipt(notice=notice, division=unit) for unit in units])
    staff = RoleAssignment.objects.active().filter(division__in=units, role__in=[Role.STREET_ADMIN, Role.COMMUNITY_WORKER])
    for assignment in staff.select_related("user"):
        notify(user=assignment.user, title=notice.title, body=str(_("Your unit is named in this notice: read it and answer.")),
               url=f"/supervision/notices/{notice.pk}/")
    audit_record(actor=actor, action="supervision.notice.published", target=notice, division=notice.issuer,
                 changes={"units": len(units)})
    return notice


@transaction.atomic
def notice_respond(*, actor, receipt: NoticeReceipt, response: str, now: datetime | None = None) -> NoticeReceipt:
    """The unit's answer to a notice: once; then the notice leaves its home page."""
    receipt = NoticeReceipt.objects.select_for_update(of=("self",)).select_related("division", "notice").get(pk=receipt.pk)
    if not actor.has_perm("supervision.respond_notice", receipt.division):
        raise PermissionDenied(_("Only the staff of the unit named answer the notice."))
    if receipt.responded_at is not None:
        raise Conflict(_("The unit has already answered this notice."), code="answered")
    response = response.strip()
    if not response:
        raise ValidationFailed(fields={"response": [_("Write the causes and the measures taken.")]})
    receipt.response, receipt.responded_by, receipt.responded_at = response, actor, now or timezone.now()
    receipt.save(update_fields=["response", "responded_by", "responded_at"])
    audit_record(actor=actor, action="supervision.notice.answered", target=receipt.notice, division=receipt.division)
    return receipt
