"""Opportunities published for a community's 五社联动 project: the service, the API and the pages."""

import datetime
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from core.errors import ValidationFailed
from governance import services as governance
from governance.services import Contribution
from volunteers import services
from volunteers.models import Opportunity

pytestmark = pytest.mark.django_db


def project_of(community, title="一老一小暖心食堂"):
    return governance.project_create(actor="test", community=community, title=title, starts_on=datetime.date(2026, 1, 1),
                                     contributions=[Contribution("volunteers", headcount=3, hours=Decimal("10"))])


def publish(worker, community, now, **kw):
    return services.opportunity_publish(actor=worker, community=community, title="长者助餐送餐", places=4, place="社区长者食堂",
                                        starts_at=now + timedelta(hours=1), ends_at=now + timedelta(hours=3), now=now, **kw)


def written():
    return Opportunity.objects.count(), AuditEvent.objects.count()


def test_an_opportunity_is_published_for_a_project_of_its_community_and_the_audit_names_it(worker, community, now):
    project = project_of(community)
    item = publish(worker, community, now, project=project)
    assert Opportunity.objects.get(pk=item.pk).project == project
    event = AuditEvent.objects.get(action="volunteers.opportunity.published")
    assert event.changes["project"] == "一老一小暖心食堂"


def test_a_project_of_another_community_is_refused_on_its_field_and_nothing_is_written(world, worker, community, now):
    elsewhere = project_of(world.node("甲市一区一街二社"))
    before = written()
    with pytest.raises(ValidationFailed) as refused:
        publish(worker, community, now, project=elsewhere)
    assert list(refused.value.fields) == ["project"]
    assert written() == before


def test_a_streets_opportunity_is_for_no_communitys_project(world, community, now):
    street_admin, project = world.users["street_admin"], project_of(community)
    before = written()
    with pytest.raises(ValidationFailed) as refused:
        publish(street_admin, world.node("甲市一区一街"), now, project=project)
    assert "project" in refused.value.fields
    assert written() == before


def test_the_api_publishes_for_a_project_and_refuses_another_communitys(client, world, community, now):
    mine, elsewhere = project_of(community), project_of(world.node("甲市一区一街二社"), title="楼道微更新")
    client.force_login(world.users["street_admin"])  # reads both communities' projects
    body = {"community": community.code, "title": "长者助餐送餐", "places": 4, "place": "社区长者食堂",
            "starts_at": (now + timedelta(hours=1)).isoformat(), "ends_at": (now + timedelta(hours=3)).isoformat()}
    before = written()
    response = client.post("/api/v1/volunteers/opportunities", data=json.dumps({**body, "project_id": elsewhere.pk}),
                           content_type="application/json")
    assert response.status_code == 422 and "project" in response.json()["fields"]
    assert written() == before
    response = client.post("/api/v1/volunteers/opportunities", data=json.dumps({**body, "project_id": mine.pk}),
                           content_type="application/json")
    assert response.status_code == 201 and response.json()["project_id"] == mine.pk


def test_the_api_does_not_link_a_project_out_of_the_publishers_scope(client, world, worker, community, now):
    elsewhere = project_of(world.node("甲市一区一街二社"))
    client.force_login(worker)
    response = client.post("/api/v1/volunteers/opportunities", data=json.dumps({
        "community": community.code, "title": "长者助餐送餐", "places": 4, "place": "社区长者食堂", "project_id": elsewhere.pk,
        "starts_at": (now + timedelta(hours=1)).isoformat(), "ends_at": (now + timedelta(hours=3)).isoformat()}),
        content_type="application/json")
    assert response.status_code == 404 and not Opportunity.objects.exists()


def test_the_publishing_page_offers_the_communitys_running_projects_by_title(client, world, worker, community, now):
    running = project_of(community)
    ended = project_of(community, title="去年的项目")
    type(ended).objects.filter(pk=ended.pk).update(ends_on=datetime.date(2025, 12, 31), starts_on=datetime.date(2025, 1, 1))
    project_of(world.node("甲市一区一街二社"), title="邻社项目")
    client.force_login(worker)
    page = client.get(reverse("volunteers:opportunity_new")).content.decode()
    assert f'<option value="{running.pk}">一老一小暖心食堂</option>' in page
    assert "去年的项目" not in page and "邻社项目" not in page
    response = client.post(reverse("volunteers:opportunity_new"), {
        "community": community.code, "title": "长者助餐送餐", "places": 4, "place": "社区长者食堂", "project": str(running.pk),
        "starts_at": (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"), "ends_at": (now + timedelta(days=1, hours=2)).strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    assert Opportunity.objects.get().project == running


def test_the_opportunitys_pages_show_its_project_to_staff_with_a_link(client, world, worker, resident, community, now):
    project = project_of(community)
    item = publish(worker, community, now, project=project)
    link = reverse("governance:project", args=[project.pk])
    client.force_login(worker)
    assert link in client.get(reverse("volunteers:manage", args=[item.pk])).content.decode()
    assert link in client.get(reverse("volunteers:opportunity", args=[item.pk])).content.decode()
    client.force_login(resident)
    assert link not in client.get(reverse("volunteers:opportunity", args=[item.pk])).content.decode()
