"""A five-party project's volunteer hours: the hours confirmed at the volunteer opportunities published
for it (the volunteers' own service records) plus the hours typed on its volunteers' participation
(served off the platform)."""

import datetime
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.errors import ValidationFailed
from governance import selectors, services
from governance.services import Contribution
from tests.world import make_user
from volunteers import services as volunteering
from volunteers.models import RecordStatus

from .conftest import ACTOR, five_parties

pytestmark = pytest.mark.django_db
NOW = timezone.now().replace(microsecond=0)


@pytest.fixture
def community(world):
    return world.node("甲市一区一街一社")


@pytest.fixture
def worker(world):
    return world.users["community_worker"]


@pytest.fixture
def project(world, community):
    """All five parties; the volunteers typed 96.5 hours served off the platform."""
    return services.project_create(actor=ACTOR, community=community, title="一老一小暖心食堂", contributions=five_parties(world),
                                   starts_on=datetime.date(2026, 1, 1))


def opportunity(worker, community, project=None, title="长者助餐送餐"):
    return volunteering.opportunity_publish(actor=worker, community=community, title=title, places=5, place="社区长者食堂",
                                            starts_at=NOW + timedelta(minutes=10), ends_at=NOW + timedelta(hours=4),
                                            auto_accept=True, project=project, now=NOW)


def served(community, item, name: str, minutes: int):
    """A volunteer of ``community`` applies, signs in at ``NOW`` and out ``minutes`` later; returns the record (awaiting confirmation)."""
    person = make_user(name, role="resident", division=community)
    volunteering.volunteer_register(actor=person, community=community, real_name=name, phone="13800001111", skills=["elderly_care"],
                                    availability=[], consent=True)
    volunteering.application_submit(actor=person, opportunity=item, now=NOW)
    volunteering.sign_in(actor=person, opportunity=item, code=volunteering.sign_code(item, NOW), now=NOW)
    out = NOW + timedelta(minutes=minutes)
    return volunteering.sign_out(actor=person, opportunity=item, code=volunteering.sign_code(item, out), now=out)


def test_a_projects_volunteer_hours_are_its_confirmed_records_plus_the_typed_hours(worker, community, project):
    linked = opportunity(worker, community, project)
    confirmed, pending = served(community, linked, "王秀英", 120), served(community, linked, "李桂兰", 90)
    volunteering.record_confirm(actor=worker, record=confirmed, now=NOW + timedelta(hours=5))
    elsewhere = opportunity(worker, community, title="平安巡逻")  # not for the project
    volunteering.record_confirm(actor=worker, record=served(community, elsewhere, "张建国", 60), now=NOW + timedelta(hours=5))
    assert pending.status == RecordStatus.PENDING

    figures = selectors.project_figures([project.pk])[project.pk]
    assert figures.recorded_hours == Decimal("2.0") and figures.typed_hours == Decimal("96.5")
    assert figures.volunteer_hours == Decimal("98.5")
    assert figures.hours == Decimal("156.5") + Decimal("2.0")  # every party's typed hours and the recorded ones

    volunteering.record_confirm(actor=worker, record=pending, now=NOW + timedelta(hours=5))
    assert selectors.project_figures([project.pk])[project.pk].volunteer_hours == Decimal("100.0")


def test_a_project_with_records_and_no_party_yet_has_its_hours(worker, community):
    bare = services.project_create(actor=ACTOR, community=community, title="楼道微更新", starts_on=datetime.date(2026, 1, 1))
    record = served(community, opportunity(worker, community, bare), "王秀英", 45)
    volunteering.record_confirm(actor=worker, record=record, now=NOW + timedelta(hours=5))
    figures = selectors.project_figures([bare.pk])[bare.pk]
    assert figures.volunteer_hours == Decimal("0.8") and not figures.parties


def test_project_figures_read_any_number_of_projects_in_two_queries(world, worker, community, project, django_assert_num_queries):
    others = [services.project_create(actor=ACTOR, community=world.node(name), title="楼道微更新", contributions=five_parties(world)[3:4],
                                      starts_on=datetime.date(2026, 1, 1)) for name in ("甲市一区一街二社", "甲市一区二街一社")]
    volunteering.record_confirm(actor=worker, record=served(community, opportunity(worker, community, project), "王秀英", 60),
                                now=NOW + timedelta(hours=5))
    with django_assert_num_queries(2):
        figures = selectors.project_figures([project.pk, *(p.pk for p in others)])
    assert len(figures) == 3 and figures[project.pk].recorded_hours == Decimal("1.0")


def test_the_five_party_summary_sums_recorded_and_typed_hours(world, worker, community, project):
    volunteering.record_confirm(actor=worker, record=served(community, opportunity(worker, community, project), "王秀英", 150),
                                now=NOW + timedelta(hours=5))
    rows = {r.division.name: r for r in selectors.five_party_summary(user=world.users["supervisor"], within=world.node("甲市一区"))}
    for name in ("甲市一区", "甲市一区一街"):
        assert rows[name].recorded_hours == Decimal("2.5") and rows[name].typed_hours == Decimal("96.5")
        assert rows[name].volunteer_hours == Decimal("99.0")
    assert rows["甲市一区二街"].volunteer_hours == 0


def test_a_volunteers_party_needs_typed_figures_only_while_no_opportunity_is_published_for_the_project(world, worker, community):
    without = services.project_create(actor=ACTOR, community=community, title="邻里守望互助", starts_on=datetime.date(2026, 1, 1))
    with pytest.raises(ValidationFailed) as refused:
        services.participation_add(actor=ACTOR, project=without, contribution=Contribution("volunteers"))
    assert "headcount" in refused.value.fields
    volunteering.opportunity_cancel(actor=worker, opportunity=opportunity(worker, community, without), reason="下雨")
    with pytest.raises(ValidationFailed):  # a cancelled opportunity brings no volunteers
        services.participation_add(actor=ACTOR, project=without, contribution=Contribution("volunteers"))
    opportunity(worker, community, without)
    participation = services.participation_add(actor=ACTOR, project=without, contribution=Contribution("volunteers"))
    assert participation.headcount == 0 and participation.hours == 0


def test_the_project_page_lists_its_opportunities_and_where_its_hours_come_from(client, world, worker, community, project):
    linked = opportunity(worker, community, project)
    volunteering.record_confirm(actor=worker, record=served(community, linked, "王秀英", 120), now=NOW + timedelta(hours=5))
    opportunity(worker, community, title="平安巡逻")
    client.force_login(worker)
    page = client.get(reverse("governance:project", args=[project.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reverse("volunteers:opportunity", args=[linked.pk]) in page and "长者助餐送餐" in page
    assert "平安巡逻" not in page
    assert "(2.0 recorded on the platform + 96.5 entered by hand)" in page


def test_the_api_gives_the_same_hours_as_the_page_and_says_where_they_come_from(client, world, worker, community, project):
    item = opportunity(worker, community, project=project)
    volunteering.record_confirm(actor=worker, record=served(community, item, "志愿者甲", 90), now=NOW + timedelta(hours=2))
    expected = selectors.project_figures([project.pk])[project.pk]
    client.force_login(worker)
    listed = client.get(f"/api/v1/governance/projects?within={community.code}").json()["items"][0]
    one = client.get(f"/api/v1/governance/projects/{project.pk}").json()
    for body in (listed, one):
        assert Decimal(body["recorded_hours"]) == expected.recorded_hours == Decimal("1.5")
        assert Decimal(body["typed_hours"]) == expected.typed_hours == Decimal("96.5")
        assert Decimal(body["volunteer_hours"]) == expected.volunteer_hours
