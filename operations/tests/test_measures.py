"""What supervision reads of space for service (``operations.measures``): each figure built through
the module's services and counted by community for a whole city, equal to what the module's own
pages and selectors show, a neighbour's records never in another community's figure, in a few
queries whatever the number of communities and agreements."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.measures import MEASURES, RATE, SUM, Month
from operations import selectors, services
from operations.models import Severity
from org.models import Division, DivisionLevel

from .conftest import CHECKLIST_ALL_MET, FIGURES, Ops, draft, in_force, make_site_room

pytestmark = pytest.mark.django_db

FEBRUARY, MARCH, APRIL = Month(date(2026, 2, 1)), Month(date(2026, 3, 1)), Month(date(2026, 4, 1))
DECEMBER_2025 = Month(date(2025, 12, 1))
CODES = ("operations.operators_admitted", "operations.agreements_in_force", "operations.breaches_open",
         "operations.breach_age_days", "operations.government_savings")


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone())


def weekday(n: int) -> list[dict]:
    """A morning of weekday ``n`` (1 is Monday), so that agreements on the same room never clash."""
    return [{"weekday": n, "start": "09:00", "end": "12:00"}]


def compute(code: str, city, month: Month) -> dict:
    return MEASURES[code].compute(city, month)


def figure(code: str, division, month: Month) -> tuple:
    return compute(code, division if division.level == DivisionLevel.CITY else city_of(division), month).get(division.pk)


def city_of(division) -> Division:
    return Division.objects.get(path=division.path.split("/", 1)[0] + "/")


def admit(world, operator, division, *, valid_from=date(2025, 1, 1), valid_until=None, review=True):
    """An operator applies to ``division`` and (``review``) is admitted from ``valid_from``, through the services."""
    if not operator.qualifications.exists():
        services.qualification_add(actor="measures-test", operator=operator, kind="business_licence", number=f"LIC-{operator.pk}")
    admission = services.admission_apply(actor=world.users["operator_staff"], operator=operator, division=division,
                                         categories=["elderly_child"], scope_description="托育、文体课程")
    if not review:
        return admission
    return services.admission_review(actor=world.users["street_admin"], admission=admission, admit=True, checklist=CHECKLIST_ALL_MET,
                                     valid_from=valid_from,
                                     valid_until=valid_until or timezone.localdate() + timedelta(days=400))


@pytest.fixture
def place(world):
    """一街一社 and its neighbour 一街二社, each with a state-owned hall and its own operator, both admitted by
    一街 since 2025-01-01; ``street``: 一街 signing for itself with 一社's operator (in 一社's hall)."""
    street = world.node("甲市一区一街")
    mine, theirs = world.node("甲市一区一街一社"), world.node("甲市一区一街二社")
    operator, neighbour = world.organisations["甲市一区一街一社服务中心"], world.organisations["甲市一区一街二社服务中心"]
    hall = make_site_room(mine, name="党群服务中心", property_class="state_admin", room_name="多功能厅")
    own = Ops(community=mine, street=street, operator=operator, admission=admit(world, operator, street), hall=hall,
              barn=None, annex=None)
    other = Ops(community=theirs, street=street, operator=neighbour, admission=admit(world, neighbour, street),
                hall=make_site_room(theirs, name="二社党群服务中心", property_class="state_admin", room_name="大厅"),
                barn=None, annex=None)
    signed_by_street = Ops(community=street, street=street, operator=operator, admission=own.admission, hall=hall,
                           barn=None, annex=None)
    return own, other, signed_by_street


def test_the_five_measures_are_declared_with_their_kind_and_unit():
    declared = {code: (MEASURES[code].kind, MEASURES[code].unit, MEASURES[code].flow) for code in CODES}
    assert declared == {
        "operations.operators_admitted": (SUM, "count", False), "operations.agreements_in_force": (SUM, "count", False),
        "operations.breaches_open": (SUM, "count", False), "operations.breach_age_days": (RATE, "days", False),
        "operations.government_savings": (SUM, "yuan", False)}


# Operators admitted.

def test_operators_admitted_count_those_the_street_district_or_city_admitted_and_not_blacklisted(world, place):
    """一街 admitted both its communities' operators (the fixture); 一区 admits one more for all four of its
    communities, but 二街 blacklisted it there; 二街 admits its own; an application under review, an
    admission that expired, one suspended and one not yet valid count nowhere."""
    node, orgs = world.node, world.organisations
    admit(world, orgs["甲市一区二街一社服务中心"], node("甲市一区"))
    barred = admit(world, orgs["甲市一区二街一社服务中心"], node("甲市一区二街"), review=False)
    services.admission_blacklist(actor=world.users["street_admin"], admission=barred, reason="虚报服务人次")
    admit(world, orgs["甲市一区二街二社服务中心"], node("甲市一区二街"))
    admit(world, orgs["甲市二区一街一社服务中心"], node("甲市二区一街"), review=False)
    admit(world, orgs["甲市二区一街二社服务中心"], node("甲市二区一街"), valid_until=date(2026, 3, 30))
    suspended = admit(world, orgs["甲市二区二街一社服务中心"], node("甲市二区二街"))
    services.admission_suspend(actor=world.users["street_admin"], admission=suspended, reason="消防检查未通过")
    admit(world, orgs["甲市二区二街二社服务中心"], node("甲市二区二街"), valid_from=date(2026, 4, 1))

    city = node("甲市")
    march = compute("operations.operators_admitted", city, MARCH)
    counts = {name: march[node(name).pk][0] for name in world.names_below(city) if node(name).level == DivisionLevel.COMMUNITY}
    assert counts == {"甲市一区一街一社": 3, "甲市一区一街二社": 3, "甲市一区二街一社": 1, "甲市一区二街二社": 1,
                      "甲市二区一街一社": 0, "甲市二区一街二社": 0, "甲市二区二街一社": 0, "甲市二区二街二社": 0}
    assert figure("operations.operators_admitted", node("甲市二区一街一社"), FEBRUARY) == (1, None)  # not yet expired
    assert figure("operations.operators_admitted", node("甲市二区二街二社"), APRIL) == (1, None)  # valid from April
    # One truth: the operators the community's agreement form offers on that day.
    for community in Division.objects.filter(path__under=city.path, level=DivisionLevel.COMMUNITY):
        assert march[community.pk] == (selectors.admitted_operators(division=community, on=MARCH.last).count(), None)
    assert set(march) == set(Division.objects.filter(path__under=city.path, level=DivisionLevel.COMMUNITY).values_list("pk", flat=True))


# Agreements in force.

def test_agreements_in_force_at_the_months_end_by_the_community_or_street_that_signed(world, place):
    own, other, signed_by_street = place
    in_force(world, own, starts_on=date(2025, 7, 1), ends_on=date(2027, 6, 30), hours=weekday(1))
    in_force(world, own, starts_on=date(2025, 9, 1), ends_on=date(2026, 3, 31), hours=weekday(2))  # its last day is March's
    in_force(world, own, starts_on=date(2025, 9, 1), ends_on=date(2026, 3, 30), hours=weekday(3))  # over the day before
    in_force(world, own, starts_on=date(2026, 4, 1), ends_on=date(2027, 3, 31), hours=weekday(4))  # from April
    ended = in_force(world, own, starts_on=date(2025, 7, 1), ends_on=date(2027, 6, 30), hours=weekday(5))
    services.agreement_terminate(actor=world.users["street_admin"], agreement=ended, on=date(2026, 2, 27), reason="运营方退出",
                                 now=at(date(2026, 2, 27)))
    waiting = draft(world, own, starts_on=date(2026, 1, 1), ends_on=date(2027, 12, 31), hours=weekday(6))
    services.agreement_submit(actor=world.users["community_worker"], agreement=waiting)  # never approved
    in_force(world, other, starts_on=date(2025, 7, 1), ends_on=date(2027, 6, 30), hours=weekday(1))
    in_force(world, signed_by_street, starts_on=date(2025, 7, 1), ends_on=date(2027, 6, 30), hours=weekday(7))

    city = world.node("甲市")
    march = compute("operations.agreements_in_force", city, MARCH)
    counted = {pk: n for pk, (n, _) in march.items() if n}
    assert counted == {own.community.pk: 2, other.community.pk: 1, own.street.pk: 1}
    assert len(march) == 8 + 1 and all(d is None for _, d in march.values())  # every community of 甲市, and the street
    april = compute("operations.agreements_in_force", city, APRIL)
    assert april[own.community.pk] == (2, None)  # the one from April; the one that ended with March is gone


def test_agreements_in_force_and_open_breaches_are_what_the_compliance_page_shows(client, world, place):
    """One truth: this month's figures of a community are those of its compliance page and of its list of agreements in force."""
    own, other, _ = place
    in_force(world, own, hours=weekday(1), terms={"public_benefit_share": "0.4"})  # in force, with a breach
    in_force(world, own, hours=weekday(2))
    in_force(world, other, hours=weekday(1), terms={"public_benefit_share": "0.4"})
    month = Month.of(timezone.localdate())
    agreements = figure("operations.agreements_in_force", own.community, month)
    breaches = figure("operations.breaches_open", own.community, month)
    assert agreements == (2, None) and breaches == (1, None)

    user = world.users["street_admin"]
    total, _ = selectors.compliance_by_place(user=user, within=own.community)
    assert (total.agreements, total.breaches) == (agreements[0], breaches[0])
    client.force_login(user)
    page = client.get(reverse("operations:compliance", args=[own.community.code]))
    assert page.status_code == 200 and (page.context["total"].agreements, page.context["total"].breaches) == (2, 1)
    listed = client.get(MEASURES["operations.agreements_in_force"].records(own.community, month))
    assert listed.status_code == 200 and listed.context["page"].paginator.count == agreements[0]
    street = compute("operations.agreements_in_force", city_of(own.street), month)
    assert sum(street[d.pk][0] for d in (own.community, other.community)) == \
        selectors.compliance_by_place(user=user, within=own.street)[0].agreements == 3


# Breaches open, and how long they have been open.

def breaches(world, place):
    """In 一社: a breach of the agreement's terms found when it came into force on 2025-07-01 (still open); a
    report of February filed on 2026-03-10 with paid income above its costs (corrected on 2026-04-03); a
    report of January filed on 2026-02-05 with the same breach (corrected on 2026-03-20); a report of
    December with only warnings; an agreement from 2026-04-01 with a breach. In 二社: one breach since
    2025-07-01."""
    own, other, _ = place
    operator_staff, worker = world.users["operator_staff"], world.users["community_worker"]
    agreement = in_force(world, own, starts_on=date(2025, 7, 1), ends_on=date(2027, 6, 30), hours=weekday(1),
                         terms={"public_benefit_share": "0.4"})
    too_much = {**FIGURES, "revenue_market": "30000", "operating_cost": "25000"}
    for month, filed, corrected in ((date(2026, 2, 1), date(2026, 3, 10), date(2026, 4, 3)),
                                    (date(2026, 1, 1), date(2026, 2, 5), date(2026, 3, 20))):
        report = services.report_submit(actor=operator_staff, agreement=agreement, month=month, figures=too_much, now=at(filed))
        services.report_return(actor=worker, report=report, note="收入超出运营成本，请核实", now=at(corrected, 9))
        services.report_submit(actor=operator_staff, agreement=agreement, month=month, figures=FIGURES, now=at(corrected))
    warned = services.report_submit(actor=operator_staff, agreement=agreement, month=date(2025, 12, 1), now=at(date(2026, 1, 5)),
                                    figures={**FIGURES, "sessions_free": 30, "sessions_low_cost": 5, "sessions_market": 5})
    assert {f.severity for f in warned.findings.all()} == {Severity.WARNING}
    in_force(world, own, starts_on=date(2026, 4, 1), ends_on=date(2027, 3, 31), hours=weekday(2),
             terms={"public_benefit_share": "0.4"})
    in_force(world, other, starts_on=date(2025, 7, 1), ends_on=date(2027, 6, 30), hours=weekday(1),
             terms={"public_benefit_share": "0.4"})
    return own, other


def test_breaches_open_as_the_month_ends(world, place):
    own, other = breaches(world, place)
    city = world.node("甲市")
    march = compute("operations.breaches_open", city, MARCH)
    assert {pk: n for pk, (n, _) in march.items() if n} == {own.community.pk: 2, other.community.pk: 1}
    assert len(march) == 8 and march[world.node("甲市一区二街一社").pk] == (0, None)
    assert figure("operations.breaches_open", own.community, FEBRUARY) == (2, None)  # the terms and January's report
    assert figure("operations.breaches_open", own.community, APRIL) == (2, None)  # the terms and April's agreement
    today = Month.of(timezone.localdate())
    assert figure("operations.breaches_open", own.community, today) == (
        selectors.finding_list(user=world.users["street_admin"], within=own.community).filter(severity="breach").count(), None)


def test_breach_age_is_the_days_since_each_open_breach_was_found_over_the_breaches_open(world, place):
    own, other = breaches(world, place)
    city = world.node("甲市")
    march = compute("operations.breach_age_days", city, MARCH)
    # 2025-07-01 to 2026-03-31 is 273 days, 2026-03-10 to 2026-03-31 is 21; only where a breach is open.
    assert march == {own.community.pk: (Decimal(273 + 21), Decimal(2)), other.community.pk: (Decimal(273), Decimal(1))}
    assert figure("operations.breach_age_days", own.community, FEBRUARY) == (Decimal(242 + 23), Decimal(2))
    assert figure("operations.breach_age_days", own.community, APRIL) == (Decimal(303 + 29), Decimal(2))


# Government savings.

def test_savings_are_the_years_up_to_the_months_end_renovation_in_the_year_borne_running_costs_for_the_days_run(world, place):
    own, other, signed_by_street = place
    ended = in_force(world, own, starts_on=date(2025, 7, 1), ends_on=date(2027, 6, 30), hours=weekday(1))  # ¥600,000 + ¥200,000 a year
    services.agreement_terminate(actor=world.users["street_admin"], agreement=ended, on=date(2026, 2, 28), reason="运营方退出",
                                 now=at(date(2026, 3, 1)))
    in_force(world, own, starts_on=date(2026, 2, 15), ends_on=date(2028, 2, 14), hours=weekday(2),
             terms={"operator_renovation_cost": "300000", "operator_running_cost": "120000"})
    in_force(world, own, starts_on=date(2026, 4, 1), ends_on=date(2028, 3, 31), hours=weekday(3),
             terms={"operator_renovation_cost": "50000"})
    draft(world, own, starts_on=date(2026, 1, 1), ends_on=date(2027, 12, 31), hours=weekday(4),
          terms={"operator_renovation_cost": "999999"})  # a draft saves nothing
    in_force(world, other, starts_on=date(2026, 1, 1), ends_on=date(2027, 12, 31), hours=weekday(1),
             terms={"operator_renovation_cost": "80000", "operator_running_cost": "36500"})
    in_force(world, signed_by_street, starts_on=date(2025, 1, 1), ends_on=date(2026, 12, 31), hours=weekday(5),
             terms={"operator_renovation_cost": "10000", "operator_running_cost": "73000"})

    city = world.node("甲市")
    march = compute("operations.government_savings", city, MARCH)
    assert {pk: v for pk, (v, _) in march.items() if v} == {
        # 59 days of 2026 until the end (¥32,328.77); ¥300,000 borne in 2026 and 45 days (¥14,794.52).
        own.community.pk: Decimal("347123.29"),
        other.community.pk: Decimal("89000.00"),  # ¥80,000 and 90 days of ¥36,500
        own.street.pk: Decimal("18000.00"),  # 90 days of ¥73,000; its renovation was borne in 2025
    }
    december = compute("operations.government_savings", city, DECEMBER_2025)
    assert december[own.community.pk] == (Decimal("700821.92"), None)  # ¥600,000 and 184 days of 2025
    assert december[own.street.pk] == (Decimal("83000.00"), None) and december[other.community.pk] == (0, None)
    # One truth: the savings the compliance page shows for the year, for each place and added up the tree.
    for division in (own.community, other.community, own.street, world.node("甲市一区"), city):
        added = sum((v for pk, (v, _) in march.items() if Division.objects.get(pk=pk).path.startswith(division.path)), Decimal(0))
        assert added == selectors.savings(within=division, year=2026, today=MARCH.last).total
    assert MEASURES["operations.government_savings"].records(own.street, MARCH).endswith("?year=2026")


# Neighbours.

def test_a_neighbours_agreements_breaches_and_savings_are_never_counted_in_another_community(world, place):
    own, other, _ = place
    in_force(world, other, starts_on=date(2026, 1, 1), ends_on=date(2027, 12, 31), hours=weekday(1),
             terms={"public_benefit_share": "0.4", "operator_renovation_cost": "80000", "operator_running_cost": "0"})
    city = world.node("甲市")
    theirs = {code: compute(code, city, MARCH).get(other.community.pk) for code in CODES}
    mine = {code: compute(code, city, MARCH).get(own.community.pk) for code in CODES}
    assert theirs == {"operations.operators_admitted": (2, None), "operations.agreements_in_force": (1, None),
                      "operations.breaches_open": (1, None), "operations.breach_age_days": (Decimal(89), Decimal(1)),
                      "operations.government_savings": (Decimal("80000.00"), None)}
    assert mine == {"operations.operators_admitted": (2, None), "operations.agreements_in_force": (0, None),
                    "operations.breaches_open": (0, None), "operations.breach_age_days": None,
                    "operations.government_savings": (0, None)}
    neighbour_city = world.node("乙市")
    assert all(not compute(code, neighbour_city, MARCH).get(other.community.pk) for code in CODES)
    assert all(sum(n for n, _ in compute(code, neighbour_city, MARCH).values()) == 0 for code in CODES)


# Queries.

def test_the_figures_of_a_city_take_the_same_few_queries_for_more_communities_and_agreements(world, place):
    own, other, _ = place
    city = world.node("甲市")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            for code in CODES:
                compute(code, city, MARCH)
        return len(captured)

    in_force(world, own, starts_on=date(2026, 1, 1), ends_on=date(2027, 12, 31), hours=weekday(1), terms={"public_benefit_share": "0.4"})
    one = queries()
    in_force(world, other, starts_on=date(2026, 1, 1), ends_on=date(2027, 12, 31), hours=weekday(1),
             terms={"public_benefit_share": "0.4"})
    in_force(world, own, starts_on=date(2026, 1, 1), ends_on=date(2027, 12, 31), hours=weekday(2))
    assert queries() == one <= 12
