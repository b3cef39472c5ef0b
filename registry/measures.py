"""What supervision reads of the register: communities that meet the area standard, that have
every function the catalogue requires (1+6+X), that have every required facility of the
catalogue's "一老一小" set (for the old and the young), that meet every standard, and streets with
as many centres as the rules ask — each from the compliance report the register's pages show
(``registry.compliance``), as the register stands when the month is taken."""

from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.measures import RATE, Month, measure
from org.models import Division, DivisionLevel
from rulepack.selectors import city_of

from .compliance import ComplianceReport, compliance_report, inputs_version, required_function_names

AREA_KINDS = ("site_area_min",)
FUNCTION_KINDS = ("required_functions",)
STREET_KINDS = ("street_site_count_min",)
ELDERLY_CHILD_SET = "一老一小"  # the catalogue's tag for Haining's facilities for the old and the young
ONE = Decimal(1)

_last: dict = {}


def _report(city: Division) -> ComplianceReport:
    """The city's report, computed once for the measures that read it (while the register is unchanged)."""
    version = (city.pk, inputs_version(division=city))
    if _last.get("version") != version:
        under = Division.objects.filter(path__under=city.path)
        _last.update(version=version, report=compliance_report(
            division=city, communities=under.filter(level=DivisionLevel.COMMUNITY).order_by("path"),
            streets=under.filter(level=DivisionLevel.STREET).order_by("path")))
    return _last["report"]


def _passing(kinds: tuple[str, ...] | None, *, streets: bool = False):
    """Per community (or street): 1 over 1 when it passes every rule of ``kinds`` (every rule: None), 0 over 1 when not."""
    def compute(city: Division, month: Month) -> dict:
        report = _report(city)
        keys = {rule.key for rule in report.rules if kinds is None or rule.kind in kinds}
        figures = {}
        for division_report in report.streets if streets else report.communities:
            results = [r for r in division_report.results if r.key in keys]
            if results:
                figures[division_report.division.pk] = (ONE if all(r.passed for r in results) else Decimal(0), ONE)
        return figures
    return compute


def _giving_set(name: str):
    """Per community: 1 over 1 when its rooms give every required function the catalogue tags with the
    set ``name`` (the functions present as the compliance report found them), 0 over 1 when not;
    nothing when the city's catalogue tags no required function with it."""
    def compute(city: Division, month: Month) -> dict:
        report = _report(city)
        wanted = set(required_function_names(city_of(city), in_set=name))
        if not wanted:
            return {}
        return {division_report.division.pk: (ONE if wanted <= division_report.functions else Decimal(0), ONE)
                for division_report in report.communities}
    return compute


def _records(division: Division, month: Month) -> str:
    return reverse("registry:compliance", args=[division.code])


measure("registry.area_compliance", label=_("communities meeting the area standard"), unit="share", kind=RATE,
        compute=_passing(AREA_KINDS), records=_records,
        help=_("Communities whose service rooms meet every area rule of the pack, over all communities."))
measure("registry.function_completeness", label=_("communities with every required function"), unit="share", kind=RATE,
        compute=_passing(FUNCTION_KINDS), records=_records,
        help=_("Communities whose rooms give every function the catalogue requires (1+6+X), over all communities."))
measure("registry.elderly_child_facilities", label=_("communities with every facility for the old and the young"),
        unit="share", kind=RATE, compute=_giving_set(ELDERLY_CHILD_SET), records=_records,
        help=_("Communities whose rooms give every required function the catalogue tags “一老一小” (facilities "
               "for the old and the young), over all communities."))
measure("registry.standards_met", label=_("communities meeting every standard"), unit="share", kind=RATE,
        compute=_passing(None), records=_records,
        help=_("Communities that pass every rule of the register's standards, over all communities."))
measure("registry.street_centres", label=_("streets with enough centres"), unit="share", kind=RATE, level="street",
        compute=_passing(STREET_KINDS, streets=True), records=_records,
        help=_("Streets and towns with at least as many centres as the pack asks, over all streets and towns."))
