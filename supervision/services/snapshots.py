"""Taking the monthly figures: every measure (``core.measures``) of every community of a city,
added up the tree to its streets, districts and the city, written in one transaction.

A month is taken again each day while it runs (its rows replaced) and once after it has ended
and the pack's ``supervision.close_after_days`` have passed (reports of the month filed): then
its rows are closed and a later taking of that month is refused, so a trend or a notice that
read them never changes.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from core.errors import Conflict
from core.measures import MEASURES, Month, taking
from org.models import Division, DivisionLevel
from rulepack.selectors import param

from ..models import Snapshot

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
    with taking():
        for number, found in enumerate(sorted(MEASURES.values(), key=lambda m: m.code), start=1):
            progress(str(found.label), int(100 * (number - 1) / max(len(MEASURES), 1)))
            figures = found.compute(city, month)
            rows += [(month.since, pk, found.code, numerator, denominator, counted, final, now)
                     for pk, (numerator, denominator, counted) in roll_up(figures, paths, ids).items()]
    with transaction.atomic():
        taken = Snapshot.objects.select_for_update().filter(month=month.since, division_id=city.pk)
        if any(row.final for row in taken):
            raise Conflict(_("The figures of %(month)s are closed and are not taken again.") % {"month": month.words()}, code="closed")
        Snapshot.objects.filter(month=month.since, division__path__under=city.path).delete()
        _write(rows)
        audit_record(actor=actor, action="supervision.month.taken" if not final else "supervision.month.closed",
                     target=city, division=city, changes={"month": str(month), "rows": len(rows)})
    progress("", 100)
    return len(rows)


COLUMNS = ("month", "division_id", "measure", "numerator", "denominator", "counted", "final", "taken_at")


def _write(rows: list[tuple]) -> None:
    """The month's rows: copied in on PostgreSQL (a province's month is some 200,000 rows), inserted in batches elsewhere."""
    if connection.vendor == "postgresql":
        columns = ", ".join(Snapshot._meta.get_field(name.removesuffix("_id")).column for name in COLUMNS)
        with connection.cursor() as cursor, cursor.cursor.copy(
                f'COPY "{Snapshot._meta.db_table}" ({columns}) FROM STDIN') as copying:
            for row in rows:
                copying.write_row(row)
        return
    Snapshot.objects.bulk_create([Snapshot(**dict(zip(COLUMNS, row, strict=True))) for row in rows], batch_size=2000)


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
