"""The supervisor's community-governance page: every register counted below a division, each figure
the one its own module's page shows."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from governance import services
from governance.overview import governance_overview
from registry import services as registry_services
from registry.selectors import sign_counts
from registry.tests.conftest import make_site
from scheduling import services as scheduling_services
from scheduling.selectors import open_resource_figures
from tests.images import png_bytes
from volunteers import services as volunteer_services
from volunteers.selectors import hours_by_division

from .conftest import ACTOR, five_parties

pytestmark = pytest.mark.django_db


@pytest.fixture
def filled(world, affair_list):
    """In 甲市一区一街一社: a five-party project, a volunteer's two confirmed hours, a redundant sign taken
    down and one still hung, a unit's open sports ground."""
    community = world.node("甲市一区一街一社")
    services.project_create(actor=ACTOR, community=community, title="一老一小暖心行动",
                            starts_on=timezone.localdate() - timedelta(days=30), contributions=five_parties(world))
    resident, worker = world.users["resident"], world.users["community_worker"]
    volunteer_services.volunteer_register(actor=resident, community=community, real_name="王秀英", phone="13800001111",
                                          skills=["elderly_care"], availability=["6:morning"], consent=True)
    now = timezone.now().replace(microsecond=0)
    item = volunteer_services.opportunity_publish(actor=worker, community=community, title="助老送餐", places=2,
                                                  starts_at=now + timedelta(minutes=10), ends_at=now + timedelta(hours=3),
                                                  place="社区食堂", auto_accept=True, now=now)
    volunteer_services.application_submit(actor=resident, opportunity=item, now=now)
    volunteer_services.sign_in(actor=resident, opportunity=item, code=volunteer_services.sign_code(item, now), now=now)
    out = now + timedelta(hours=2)
    record = volunteer_services.sign_out(actor=resident, opportunity=item, code=volunteer_services.sign_code(item, out), now=out)
    volunteer_services.record_confirm(actor=worker, record=record, now=out)
    site = make_site(community)
    for text in ("某某协会服务站", "某某工作站"):
        registry_services.sign_record(actor="test", site=site, text=text, department_name="市某办")
    from registry.models import Sign

    sign = Sign.objects.get(text="某某协会服务站")
    registry_services.sign_remove(actor=worker, sign=sign, photo=SimpleUploadedFile("gone.png", png_bytes(), content_type="image/png"))
    from registry.hours import parse_hours

    scheduling_services.open_resource_register(
        actor=world.users["unit_staff"], unit=world.organisations["甲市一区一街一社实验小学"], community=community, name="运动场",
        category="sports", opening_hours=parse_hours("周六、周日 08:00-18:00"), capacity=80, area=Decimal("3000"))
    return community


def test_each_street_shows_what_its_modules_count(world, filled):
    supervisor, district = world.users["supervisor"], world.node("甲市一区")
    today = timezone.localdate()
    found = governance_overview(user=supervisor, within=district, year=today.year, on=today)
    rows = {r.division.name: r for r in found.rows}
    assert list(rows) == ["甲市一区一街", "甲市一区二街"]
    first, second, total = rows["甲市一区一街"], rows["甲市一区二街"], found.total
    assert (first.volunteers, first.hours) == (1, Decimal("2.0"))
    assert (first.projects, first.five_party, first.communities_with_five, first.communities) == (1, 1, 1, 2)
    assert first.money == Decimal("25000.00") and first.project_hours == Decimal("96.5")
    assert (first.host, first.assist) == (2, 1) and (second.host, second.assist) == (2, 1)
    assert (first.signs_removed, first.signs_remaining) == (1, 1)
    assert (first.resources_open, first.units) == (1, 1)
    assert (second.volunteers, second.projects, second.signs_removed, second.resources_open) == (0, 0, 0, 0)
    assert (total.hours, total.five_party, total.signs_remaining, total.resources_open) == (Decimal("2.0"), 1, 1, 1)
    # One truth: the same figures as the modules' own pages.
    by_street = {r.division.name: r for r in hours_by_division(within=district, since=today.replace(month=1, day=1))}
    assert by_street["甲市一区一街"].hours == first.hours
    counted, _total = sign_counts(user=supervisor, within=district)
    assert counted[0].removed == first.signs_removed and counted[0].remaining == first.signs_remaining
    assert open_resource_figures(within=district)[0].resources == first.resources_open


def test_a_street_sees_its_communities(world, filled):
    street_admin, street = world.users["street_admin"], world.node("甲市一区一街")
    today = timezone.localdate()
    found = governance_overview(user=street_admin, within=street, year=today.year, on=today)
    rows = {r.division.name: r for r in found.rows}
    assert list(rows) == ["甲市一区一街一社", "甲市一区一街二社"]
    assert rows["甲市一区一街一社"].hours == Decimal("2.0") and rows["甲市一区一街一社"].five_party == 1
    assert rows["甲市一区一街二社"].hours == 0 and found.total.signs_removed == 1


def test_the_page_reads_in_words_and_links_down(client, world, filled, django_assert_max_num_queries):
    client.force_login(world.users["supervisor"])
    with django_assert_max_num_queries(60):
        response = client.get("/governance/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "甲市一区一街" in page and f"?within={world.node('甲市一区一街').code}" in page
    assert "¥25,000.00" in page or "¥25000.00" in page
    street = client.get(f"/governance/?within={world.node('甲市一区一街').code}&year=1999")
    assert street.status_code == 200 and "甲市一区一街一社" in street.content.decode()


def test_neighbours_and_residents_are_refused(client, world, filled):
    client.force_login(world.users["street_admin"])
    assert client.get(f"/governance/?within={world.node('甲市一区二街').code}").status_code in (403, 404)
    assert client.get(f"/governance/?within={world.node('甲市一区').code}").status_code in (403, 404)
    client.force_login(world.users["resident"])
    assert client.get("/governance/").status_code == 404
    client.force_login(world.users["community_worker"])
    assert client.get("/governance/").status_code == 404


def test_a_city_counts_its_districts_with_a_list_in_force(world, filled):
    today = timezone.localdate()
    found = governance_overview(user=world.users["city_supervisor"], within=world.node("甲市"), year=today.year, on=today)
    assert [r.division.name for r in found.rows] == ["甲市一区", "甲市二区"]
    assert found.lists_in_force == 1 and found.total.host is None
    assert found.rows[0].hours == Decimal("2.0") and found.total.five_party == 1
