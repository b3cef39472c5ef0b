"""What supervision reads of space for service: the operators a community may sign with, its
agreements in force, the breaches open on them and how long they have been open, and the costs
operators bore instead of the government — each by community (or the street that signed), for
the whole city in a few grouped queries, from the definitions the module's pages use
(``selectors.admissions_in_force``, ``agreements_in_force``, ``finding_list``, ``savings``).

Stocks are taken as the month ends, or today while it runs: the state of the register on the
month's last day (the day of ``_day``).
"""

from collections import defaultdict
from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.measures import RATE, SUM, Month, measure
from core.scoping import ancestor_paths
from org.models import Division, DivisionLevel

from .models import ZERO, Admission, AdmissionStatus, Agreement, AgreementStatus, Finding, Severity
from .selectors import agreements_in_force, running_by_year

NOUGHT = Decimal(0)


def _day(month: Month) -> date:
    """The day a stock is read on: the month's last day, or today while the month runs."""
    return min(month.last, timezone.localdate())


def _communities(city: Division) -> dict[int, str]:
    """Every community of the city (its id: its path): each has a figure, nought when nothing is counted."""
    return dict(Division.objects.filter(path__under=city.path, level=DivisionLevel.COMMUNITY).values_list("pk", "path"))


def _places(city: Division) -> Q:
    """Admissions made in the city or above it (the places ``selectors._places_above`` reads for its communities)."""
    return Q(division__path__under=city.path) | Q(division__path__in=ancestor_paths(city.path))


# Operators admitted.

def operators_admitted_by_community(city: Division, month: Month) -> dict:
    """For each community, the operators admitted for it on the month's last day, as
    ``selectors.admitted_operators(division=community, on=day)`` counts them: an admission in force
    that day (status admitted, valid then) granted by the community's street, district or city, the
    operator active and not blacklisted at the community or above. Two queries for the whole city."""
    day = _day(month)
    admitted, blacklisted = defaultdict(set), defaultdict(set)
    for path, operator in Admission.objects.filter(_places(city), status=AdmissionStatus.ADMITTED, valid_from__lte=day,
                                                   valid_until__gte=day, operator__is_active=True).values_list(
            "division__path", "operator_id"):
        admitted[path].add(operator)
    for path, operator in Admission.objects.filter(_places(city), status=AdmissionStatus.BLACKLISTED).values_list(
            "division__path", "operator_id"):
        blacklisted[path].add(operator)
    along: dict[str, tuple[frozenset, frozenset]] = {}

    def down_to(path: str) -> tuple[frozenset, frozenset]:
        """The operators admitted, and those blacklisted, at ``path`` and every place above it."""
        if path not in along:
            above = ancestor_paths(path)
            upper = down_to(above[-1]) if above else (frozenset(), frozenset())
            along[path] = (upper[0] | admitted.get(path, set()), upper[1] | blacklisted.get(path, set()))
        return along[path]

    figures = {}
    for pk, path in _communities(city).items():
        ok, barred = down_to(path)
        figures[pk] = (Decimal(len(ok - barred)), None)
    return figures


def _admissions_records(division: Division, month: Month) -> str:
    # The admissions page lists every admission the reader may see, by status (it has no place filter).
    return f"{reverse('operations:admissions')}?" + urlencode({"status": AdmissionStatus.ADMITTED})


# Agreements in force.

def agreements_in_force_by_community(city: Division, month: Month) -> dict:
    """Agreements in force on the month's last day (``selectors.agreements_in_force``) by the community
    (or street) that signed them; one query."""
    figures = {pk: (NOUGHT, None) for pk in _communities(city)}
    for division, count in (agreements_in_force(on=_day(month)).filter(division__path__under=city.path)
                            .values_list("division_id").annotate(n=Count("id")).order_by()):
        figures[division] = (Decimal(count), None)
    return figures


def _agreements_records(division: Division, month: Month) -> str:
    return f"{reverse('operations:agreements')}?" + urlencode({"within": division.code, "status": "in_force"})


# Breaches open.

def _open_breaches(city: Division, month: Month) -> dict[int, list[tuple[date, int]]]:
    """For each community (or street), the breaches open as the month ends by the day they were found:
    findings of severity breach on its agreements and their reports (as ``selectors.finding_list``
    and the compliance page count them) found before the month's end and not resolved by then —
    which, while the month runs, are those open now. One query."""
    tz = timezone.get_current_timezone()
    end = datetime.combine(month.until, time.min, tzinfo=tz)
    rows = (Finding.objects.filter(agreement__division__path__under=city.path, severity=Severity.BREACH, found_at__lt=end)
            .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=end))
            .annotate(found_on=TruncDate("found_at", tzinfo=tz)).values("agreement__division_id", "found_on")
            .annotate(n=Count("id")).order_by())
    found: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for row in rows:
        found[row["agreement__division_id"]].append((row["found_on"], row["n"]))
    return found


def breaches_open_by_community(city: Division, month: Month) -> dict:
    figures = {pk: (NOUGHT, None) for pk in _communities(city)}
    for division, days in _open_breaches(city, month).items():
        figures[division] = (Decimal(sum(n for _, n in days)), None)
    return figures


def breach_age_by_community(city: Division, month: Month) -> dict:
    """Days from the day each open breach was found to the month's last day (today while it runs),
    added, over the breaches open; only where a breach is open (elsewhere there is no age)."""
    day = _day(month)
    figures = {}
    for division, days in _open_breaches(city, month).items():
        ages = sum(max((day - found_on).days, 0) * n for found_on, n in days)
        figures[division] = (Decimal(ages), Decimal(sum(n for _, n in days)))
    return figures


def _compliance_records(division: Division, month: Month) -> str:
    return reverse("operations:compliance", args=[division.code])


# Government savings.

def savings_by_community(city: Division, month: Month) -> dict:
    """What operators bore instead of the government in the month's year, up to the month's end (today
    while it runs), by the community (or street) that signed: ``selectors.savings(within=…, year=…,
    today=…).total`` in one query for the city — renovation borne in the year the agreement started,
    running costs for the days of the year it ran (``running_by_year``), every agreement that went
    into force (in force, ended or terminated) counted."""
    today, year = _day(month), month.since.year
    figures = {pk: (ZERO, None) for pk in _communities(city)}
    for division, starts_on, ends_on, terminated_on, renovation, running in Agreement.objects.filter(
            division__path__under=city.path, status__in=[AgreementStatus.ACTIVE, AgreementStatus.TERMINATED],
            starts_on__lte=today).values_list("division_id", "starts_on", "ends_on", "terminated_on",
                                              "operator_renovation_cost", "operator_running_cost"):
        last = min(terminated_on, ends_on) if terminated_on else ends_on
        saved = running_by_year(running or ZERO, starts_on, min(last, today)).get(year, ZERO)
        if starts_on.year == year:
            saved += renovation or ZERO
        figures[division] = (figures.get(division, (ZERO, None))[0] + saved, None)
    return figures


def _savings_records(division: Division, month: Month) -> str:
    return f"{reverse('operations:compliance', args=[division.code])}?" + urlencode({"year": month.since.year})


measure("operations.operators_admitted", label=_("admitted operators"), unit="count", kind=SUM,
        compute=operators_admitted_by_community, records=_admissions_records,
        help=_("Operators admitted by the community's street, district or city and not blacklisted there, as the month "
               "ends: those the community may sign an agreement with."))
measure("operations.agreements_in_force", label=pgettext_lazy("measure", "agreements in force"), unit="count", kind=SUM,
        compute=agreements_in_force_by_community, records=_agreements_records,
        help=_("Co-operation agreements of the community (or street) in force on the month's last day."))
measure("operations.breaches_open", label=_("breaches open"), unit="count", kind=SUM,
        compute=breaches_open_by_community, records=_compliance_records,
        help=_("Breaches of the rules found on the agreements and their reports and not resolved when the month ends."))
measure("operations.breach_age_days", label=_("age of open breaches"), unit="days", kind=RATE,
        compute=breach_age_by_community, records=_compliance_records,
        help=_("Days since the breaches open at the month's end were found, on average."))
measure("operations.government_savings", label=_("government savings"), unit="yuan", kind=SUM,
        compute=savings_by_community, records=_savings_records,
        help=_("Costs operators bore that the government would otherwise pay, in the year up to the month's end: "
               "renovation of agreements that started that year, running costs for the days they ran."))
