"""Supervision's writes: the monthly figures, and the notices drafted from them.

Taking the monthly figures: every measure (``core.measures``) of every community of a city,
added up the tree to its streets, districts and the city, written in one transaction.

A month is taken again each day while it runs (its rows replaced) and once after it has ended
and the pack's ``supervision.close_after_days`` have passed (reports of the month filed): then
its rows are closed and a later taking of that month is refused, so a trend or a notice that
read them never changes.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, RoleAssignment
from audit.services import audit_record
from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.measures import MEASURES, Month
from notifications.services import notify
from org.models import LEVEL_ORDER, Division, DivisionLevel
from rulepack.selectors import param

from .models import Notice, NoticeEntry, NoticeReceipt, NoticeStatus, Snapshot

Progress = Callable[[str, int], None]


def _quiet(stage: str, percent: int) -> None:
    pass


def close_after_days(city: Division) -> int:
    return int(param(division=city, key="supervision.close_after_days"))


def closes_on(city: Division, month: Month):
    """The day the month's figures are taken for the last time and closed."""
    return month.until + timedelta(days=close_after_days(city))


def roll_up(figures: dict[int, tuple[Decimal, Decimal | None]], paths: dict[int, str], ids: dict[str, int]
            ) -> dict[int, list]:
    """Each division's numerator, denominator and count of figures: its own and those of every
    division under it, added (a rate above its level is the sum over the sum, not a mean of rates)."""
    totals: dict[int, list] = {}
    for pk, (numerator, denominator) in figures.items():
        path = paths.get(pk)
        if path is None:
            continue
        parts = path.strip("/").split("/")
        for depth in range(1, len(parts) + 1):
            above = ids.get("/".join(parts[:depth]) + "/")
            if above is None:
                continue
            total = totals.setdefault(above, [Decimal(0), None, 0])
            total[0] += numerator
            if denominator is not None:
                total[1] = (total[1] or Decimal(0)) + denominator
            total[2] += 1
    return totals


def snapshot_take(*, city: Division, month: Month, actor="supervision", now: datetime | None = None,
                  progress: Progress = _quiet) -> int:
    """Take ``month``'s figures of ``city``: how many rows were written. Closed when taken after the
    month's closing day; a closed month is not taken again (Conflict)."""
    now = now or timezone.now()
    if city.level != DivisionLevel.CITY:
        raise Conflict(_("Monthly figures are taken for a whole city."))
    if timezone.localdate(now) < month.since:
        raise Conflict(_("A month that has not begun has no figures yet."))
    divisions = list(Division.objects.filter(path__under=city.path).exclude(level=DivisionLevel.GRID).values_list("pk", "path"))
    paths = dict(divisions)
    ids = {path: pk for pk, path in divisions}
    final = timezone.localdate(now) >= closes_on(city, month)
    rows = []
    for number, found in enumerate(sorted(MEASURES.values(), key=lambda m: m.code), start=1):
        progress(str(found.label), int(100 * (number - 1) / max(len(MEASURES), 1)))
        figures = found.compute(city, month)
        rows += [Snapshot(month=month.since, division_id=pk, measure=found.code, numerator=numerator, denominator=denominator,
                          counted=counted, final=final, taken_at=now)
                 for pk, (numerator, denominator, counted) in roll_up(figures, paths, ids).items()]
    with transaction.atomic():
        taken = Snapshot.objects.select_for_update().filter(month=month.since, division_id=city.pk)
        if any(row.final for row in taken):
            raise Conflict(_("The figures of %(month)s are closed and are not taken again.") % {"month": month}, code="closed")
        Snapshot.objects.filter(month=month.since, division__path__under=city.path).delete()
        Snapshot.objects.bulk_create(rows, batch_size=2000)
        audit_record(actor=actor, action="supervision.month.taken" if not final else "supervision.month.closed",
                     target=city, division=city, changes={"month": str(month), "rows": len(rows)})
    progress("", 100)
    return len(rows)


def snapshots_due(now: datetime) -> str:
    """The clock's job: for every city, close last month once its closing day has come, and take
    the running month once a day (by its latest taking). Cheap when nothing is due."""
    today = timezone.localdate(now)
    done = []
    for city in Division.objects.filter(level=DivisionLevel.CITY):
        running = Month.of(today)
        last = running.previous()
        if today >= closes_on(city, last) and not Snapshot.objects.filter(month=last.since, division=city, final=True).exists():
            snapshot_take(city=city, month=last, now=now)
            done.append(f"{city.name} {last} closed")
        latest = Snapshot.objects.filter(month=running.since, division=city).order_by("-taken_at").values_list("taken_at", flat=True).first()
        if latest is None or timezone.localdate(latest) < today:
            snapshot_take(city=city, month=running, now=now)
            done.append(f"{city.name} {running}")
    return ", ".join(done)


# Notices (通报) -----------------------------------------------------------------------------------

NOTICE_LEVELS = (DivisionLevel.DISTRICT, DivisionLevel.STREET, DivisionLevel.COMMUNITY)


def _notice_body(issuer: Division, month: Month, entries: list[NoticeEntry], indicators: dict) -> str:
    """The wording a clerk would write: what was checked, each indicator's units below its target
    with their figures and the rule they miss, and what the units are to do."""
    from .templatetags.supervision_tags import figure_text

    lines = [str(_("According to the monthly figures of %(month)s, the following units are below the targets of the "
                   "community service rooms. They are notified as follows:") % {"month": month}), ""]
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
    from .selectors import Figure, indicators

    if not actor.has_perm("supervision.draft_notice", issuer):
        raise PermissionDenied(_("Only the civil-affairs bureau drafts notices."))
    if unit_level not in NOTICE_LEVELS or LEVEL_ORDER.index(unit_level) <= LEVEL_ORDER.index(issuer.level):
        raise ValidationFailed(fields={"unit_level": [_("Choose a level below the one that issues the notice.")]})
    units = list(Division.objects.filter(path__under=issuer.path, level=unit_level))
    found = {i.key: i for i in indicators(division=issuer)}
    figures = {(row.division_id, row.measure): row for row in Snapshot.objects.filter(
        month=month.since, division__in=units, measure__in={i.measure.code for i in found.values()})}
    if not figures:
        raise ValidationFailed(fields={"month": [_("There are no figures of %(month)s to draft a notice from.") % {"month": month}]})
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
            title=str(_("Notice on the community service rooms of %(division)s, %(month)s") % {"division": issuer.name, "month": month}),
            body=_notice_body(issuer, month, entries, found))
        for entry in entries:
            entry.notice = notice
        NoticeEntry.objects.bulk_create(entries)
        audit_record(actor=actor, action="supervision.notice.drafted", target=notice, division=issuer,
                     changes={"month": str(month), "units": len({e.division_id for e in entries}), "entries": len(entries)})
    return notice


def _draft_of(actor, notice: Notice) -> Notice:
    notice = Notice.objects.select_for_update().select_related("issuer").get(pk=notice.pk)
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
                 changes={"units": [unit.pk for unit in units]})
    return notice


@transaction.atomic
def notice_respond(*, actor, receipt: NoticeReceipt, response: str, now: datetime | None = None) -> NoticeReceipt:
    """The unit's answer to a notice: once; then the notice leaves its home page."""
    receipt = NoticeReceipt.objects.select_for_update().select_related("division", "notice").get(pk=receipt.pk)
    if not actor.has_perm("supervision.respond_notice", receipt.division):
        raise PermissionDenied(_("Only the staff of the unit named answer the notice."))
    if receipt.responded_at is not None:
        raise Conflict(_("The unit has already answered this notice."), code="answered")
    response = response.strip()
    if not response:
        raise ValidationFailed(fields={"response": [_("Write the causes and the measures taken.")]})
    receipt.response, receipt.responded_by, receipt.responded_at = response, actor, now or timezone.now()
    receipt.save(update_fields=["response", "responded_by", "responded_at"])
    audit_record(actor=actor, action="supervision.notice.answered", target=receipt.notice, division=receipt.division,
                 changes={"division": receipt.division_id})
    return receipt
