"""Notices (通报): drafted from the month's figures, edited, published once to the units below a target, answered by them."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, RoleAssignment
from audit.services import audit_record
from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.measures import Month
from notifications.services import notify
from org.models import LEVEL_ORDER, Division, DivisionLevel

from ..models import Notice, NoticeEntry, NoticeReceipt, NoticeStatus, Snapshot

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


def notice_draft(*, actor, issuer: Division, month: Month, unit_level: str = DivisionLevel.STREET) -> Notice:
    """Draft the notice of ``month`` for the units at ``unit_level`` under ``issuer`` that miss a
    target, furthest first, from the month's figures (kept in the notice as they are now)."""
    from ..selectors import Figure, indicators

    if not actor.has_perm("supervision.draft_notice", issuer):
        raise PermissionDenied(_("Only the civil-affairs bureau drafts notices."))
    if unit_level not in NOTICE_LEVELS or LEVEL_ORDER.index(unit_level) <= LEVEL_ORDER.index(issuer.level):
        raise ValidationFailed(fields={"unit_level": [_("Choose a level below the one that issues the notice.")]})
    units = list(Division.objects.filter(path__under=issuer.path, level=unit_level))
    found = {i.key: i for i in indicators(division=issuer)}
    figures = {(row.division_id, row.measure): row for row in Snapshot.objects.filter(
        month=month.since, division__in=units, measure__in={i.measure.code for i in found.values()})}
    if not figures:
        raise ValidationFailed(fields={"month": [_("There are no figures of %(month)s to draft a notice from.") % {"month": month.words()}]})
    entries = []
    for key, indicator in found.items():
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
    with transaction.atomic():
        notice = Notice.objects.create(
            issuer=issuer, month=month.since, unit_level=unit_level, drafted_by=actor,
            title=str(_("Notice on the community service rooms of %(division)s, %(month)s") % {"division": issuer.name,
                                                                                                  "month": month.words()}),
            body=_notice_body(issuer, month, entries, found))
        for entry in entries:
            entry.notice = notice
        NoticeEntry.objects.bulk_create(entries)
        audit_record(actor=actor, action="supervision.notice.drafted", target=notice, division=issuer,
                     changes={"month": str(month), "units": len({e.division_id for e in entries}), "entries": len(entries)})
    return notice


def _draft_of(actor, notice: Notice) -> Notice:
    notice = Notice.objects.select_for_update(of=("self",)).select_related("issuer").get(pk=notice.pk)
    if not actor.has_perm("supervision.draft_notice", notice.issuer):
        raise PermissionDenied(_("Only the civil-affairs bureau drafts notices."))
    if notice.status != NoticeStatus.DRAFT:
        raise Conflict(_("This notice is published: it no longer changes."), code="published")
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
