"""What supervision reads of the life circle: the share of each community's people who live within a
15-minute walk of a party-mass or neighbourhood centre (党群服务中心、邻里中心: the pack's
``planning.facility.neighbourhood_centre``, the centre a 15-minute life circle is built around).

A community's figure is its row (``CoverageArea``: people, people covered now) in the latest analysis
of coverage as it is (现状) of that facility kind at the life circle's 15 minutes, finished by the
month's end — the row the scenario's page, its map and the community's life-circle page show
(``selectors.scenario_areas``, ``selectors.coverage_list``). Sitings are proposals, not the state of
things, and other thresholds are what-ifs: neither counts. One kind only, so that communities and
months compare: the other kinds' coverage is on the planning pages.
"""

from datetime import datetime, time
from decimal import Decimal

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.measures import RATE, Month, measure
from org.models import Division, DivisionLevel

from .models import CoverageArea, JobStatus, Objective, Scenario

LIFE_CIRCLE_KIND = "neighbourhood_centre"
LIFE_CIRCLE_MINUTES = 15


def _people(value: float) -> Decimal:
    return Decimal(str(round(value, 1)))


def analyses(month: Month) -> QuerySet[Scenario]:
    """The analyses the measure reads: coverage as it is of the centres at 15 minutes, finished by the month's end."""
    month_end = timezone.make_aware(datetime.combine(month.until, time.min))
    return Scenario.objects.filter(status=JobStatus.DONE, objective=Objective.COVERAGE, facility_kind=LIFE_CIRCLE_KIND,
                                   minutes=LIFE_CIRCLE_MINUTES, finished_at__lt=month_end)


def _latest_rows(month: Month) -> QuerySet[CoverageArea]:
    """Rows of those analyses, each area's latest first."""
    return CoverageArea.objects.filter(scenario__in=analyses(month)).order_by(
        "division_id", "-scenario__finished_at", "-scenario_id")


def coverage_by_community(city: Division, month: Month) -> dict:
    """People covered over people of each community of the city, from its latest analysis (communities
    never analysed, or whose analysis found nobody living there, have no figure)."""
    rows = _latest_rows(month).filter(level=DivisionLevel.COMMUNITY, division__path__under=city.path)
    figures: dict[int, tuple[Decimal, Decimal]] = {}
    for division_id, population, covered in rows.values_list("division_id", "population", "covered").iterator(chunk_size=10000):
        if division_id not in figures:
            figures[division_id] = (_people(covered), _people(population))
    return {pk: figure for pk, figure in figures.items() if figure[1] > 0}


def _records(division: Division, month: Month) -> str:
    """The latest analysis giving the area's figure (its table by community); the area's planning page otherwise."""
    latest = _latest_rows(month).filter(division=division).values_list("scenario_id", flat=True).first()
    if latest is not None:
        return reverse("planning:scenario", args=[latest])
    return reverse("planning:area", args=[division.code])


measure("planning.coverage_15min", label=_("people within 15 minutes of a centre"), unit="share", kind=RATE,
        compute=coverage_by_community, records=_records,
        help=_("People living within a 15-minute walk of a party-mass or neighbourhood centre, over all people, from "
               "each community's latest analysis of coverage as it is."))
