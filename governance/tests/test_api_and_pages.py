import datetime
import io
import json
from decimal import Decimal

import pytest

from audit.models import AuditEvent
from core.measures import Month
from excel.registers import REGISTERS, ImportRejected, import_workbook
from excel.workbooks import write_workbook
from governance import selectors, services
from governance.measures import communities_with_five_party_project, five_party_money
from governance.models import Affair, ListVersion, PartnershipProject, TaskRefusal

from .conftest import ACTOR, five_parties

pytestmark = pytest.mark.django_db


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_the_list_is_public_to_everyone_of_the_district_and_no_one_else(client, world, affair_list):
    client.force_login(world.users["resident"])
    response = client.get("/api/v1/governance/affairs/350101000000")
    assert response.status_code == 200 and len(response.json()["affairs"]) == 3
    client.force_login(world.users["resident_b"])
    assert client.get("/api/v1/governance/affairs/350101000000").status_code == 200
    assert client.get("/api/v1/governance/affairs/350102000000").status_code == 404


def test_another_districts_list_is_not_found(client, world, affair_list):
    client.force_login(world.users["community_worker"])
    assert client.get("/api/v1/governance/affairs/350102000000").status_code == 404


def test_a_community_worker_refuses_a_task_with_one_click_and_not_one_on_the_list(client, world, departments, affair_list):
    client.force_login(world.users["community_worker"])
    body = {"community_code": world.node("甲市一区一街一社").code, "department_id": departments["甲市一区民政局"].pk,
            "title": "高龄津贴申领初审"}
    response = post(client, "/api/v1/governance/refused-tasks", body)
    assert response.status_code == 422 and response.json()["fields"]["title"]
    assert TaskRefusal.objects.count() == 0
    response = post(client, "/api/v1/governance/refused-tasks", {**body, "title": "代收有线电视费"})
    assert response.status_code == 201 and response.json()["version"] == 1
    response = post(client, "/api/v1/governance/refused-tasks", {**body, "community_code": world.node("甲市一区一街二社").code})
    assert response.status_code == 404


def test_the_district_files_and_decides_applications(client, world, departments, affair_list):
    client.force_login(world.users["supervisor"])
    body = {"district_code": "350101000000", "department_id": departments["甲市一区卫生健康局"].pk, "title": "高龄津贴申领初审",
            "role": "assist", "legal_basis": "某法"}
    before = AuditEvent.objects.count()
    response = post(client, "/api/v1/governance/applications", body)
    assert response.status_code == 422 and AuditEvent.objects.count() == before
    response = post(client, "/api/v1/governance/applications", {**body, "title": "社区团购食品安全巡查"})
    assert response.status_code == 201
    pk = response.json()["id"]
    response = post(client, f"/api/v1/governance/applications/{pk}/admit", {})
    assert response.status_code == 200 and response.json()["status"] == "admitted"
    assert post(client, f"/api/v1/governance/applications/{pk}/refuse", {"reasons": "x"}).status_code == 409
    versions = client.get("/api/v1/governance/affairs/350101000000/versions").json()
    assert [v["number"] for v in versions] == [2, 1]
    old = client.get("/api/v1/governance/affairs/350101000000?version=1").json()
    assert len(old["affairs"]) == 3


def test_a_community_worker_may_not_file_or_review(client, world, departments, affair_list):
    client.force_login(world.users["community_worker"])
    assert post(client, "/api/v1/governance/affairs/350101000000/reviews", {}).status_code == 403
    assert post(client, "/api/v1/governance/applications", {
        "district_code": "350101000000", "department_id": departments["甲市一区卫生健康局"].pk, "title": "x", "role": "assist",
        "legal_basis": "x"}).status_code == 403


def test_a_project_in_another_communitys_scope_is_refused(client, world):
    client.force_login(world.users["community_worker"])
    body = {"community_code": world.node("甲市一区一街二社").code, "title": "越界", "starts_on": "2026-01-01"}
    assert post(client, "/api/v1/governance/projects", body).status_code == 404
    assert PartnershipProject.objects.count() == 0
    response = post(client, "/api/v1/governance/projects", {**body, "community_code": world.node("甲市一区一街一社").code,
                                                             "parties": [{"party": "volunteers", "headcount": 5, "hours": "12.5"}]})
    assert response.status_code == 201 and response.json()["volunteer_hours"] == "12.5"


def test_the_supervisor_sees_five_party_projects_by_street(client, world):
    services.project_create(actor=ACTOR, community=world.node("甲市一区一街一社"), title="一老一小", contributions=five_parties(world),
                            starts_on=datetime.date(2026, 1, 1))
    services.project_create(actor=ACTOR, community=world.node("甲市一区二街一社"), title="楼道微更新",
                            contributions=five_parties(world)[::3], starts_on=datetime.date(2026, 1, 1))
    client.force_login(world.users["supervisor"])
    rows = {r["name"]: r for r in client.get("/api/v1/governance/five-party?within=350101000000").json()}
    assert rows["甲市一区"]["projects"] == 2 and rows["甲市一区"]["five_party"] == 1
    assert rows["甲市一区一街"]["money"] == "25000.00" and rows["甲市一区一街"]["volunteer_hours"] == "96.5"
    assert rows["甲市一区二街"]["five_party"] == 0 and rows["甲市一区"]["communities_with_five"] == 1
    client.force_login(world.users["community_worker"])
    assert client.get("/api/v1/governance/five-party?within=350101000000").status_code == 404
    page = client.get("/governance/projects/")
    assert page.status_code == 200 and "一老一小" in page.content.decode()


def test_the_measure_counts_communities_with_a_five_party_project(world):
    services.project_create(actor=ACTOR, community=world.node("甲市一区一街一社"), title="一老一小", contributions=five_parties(world),
                            starts_on=datetime.date(2026, 1, 1), ends_on=datetime.date(2026, 6, 30))
    community = world.node("甲市一区一街一社")
    figures = communities_with_five_party_project(world.node("甲市"), Month(datetime.date(2026, 3, 1)))
    assert figures[community.pk] == (Decimal(1), Decimal(1)) and figures[world.node("甲市一区一街二社").pk][0] == 0
    assert communities_with_five_party_project(world.node("甲市"), Month(datetime.date(2026, 7, 1)))[community.pk][0] == 0
    assert five_party_money(world.node("甲市"), Month(datetime.date(2026, 3, 1)))[community.pk][0] == Decimal("25000.00")


def test_the_affairs_summary_counts_refusals_by_street(world, departments, affair_list):
    services.task_refuse(actor=ACTOR, community=world.node("甲市一区一街二社"), department=departments["甲市一区民政局"], title="代收费用")
    rows = {r.division.name: r for r in selectors.affairs_summary(user=world.users["supervisor"], within=world.node("甲市一区"))}
    assert rows["甲市一区一街"].refused_tasks == 1 and rows["甲市一区二街"].refused_tasks == 0
    assert rows["甲市一区一街"].host == 2 and rows["甲市一区一街"].assist == 1


def _workbook(rows) -> io.BytesIO:
    stream = io.BytesIO()
    write_workbook(stream, [(REGISTERS["governance.affairs"], rows)])
    return io.BytesIO(stream.getvalue())


def test_the_list_exports_and_reimports_unchanged(world, departments, affair_list):
    supervisor = world.users["supervisor"]
    _count, rows = REGISTERS["governance.affairs"].export_rows(user=supervisor, params={"within": "350101000000"})
    before = (ListVersion.objects.count(), AuditEvent.objects.count())
    summary = import_workbook(_workbook(list(rows)), REGISTERS["governance.affairs"], actor=supervisor,
                              params={"within": "350101000000"}, progress=lambda n: None)
    assert summary["unchanged"] == 3 and (ListVersion.objects.count(), AuditEvent.objects.count()) == before


def test_an_import_with_a_bad_row_writes_nothing(world, departments, affair_list):
    supervisor = world.users["supervisor"]
    rows = [[1, "新事项", "主办", "甲市一区民政局", "某法"], [2, "另一事项", "主办", "不存在的局", "某法"]]
    before = (ListVersion.objects.count(), Affair.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ImportRejected) as rejected:
        import_workbook(_workbook(rows), REGISTERS["governance.affairs"], actor=supervisor, params={"within": "350101000000"},
                        progress=lambda n: None)
    assert rejected.value.errors and (ListVersion.objects.count(), Affair.objects.count(), AuditEvent.objects.count()) == before
    summary = import_workbook(_workbook(rows[:1]), REGISTERS["governance.affairs"], actor=supervisor,
                              params={"within": "350101000000"}, progress=lambda n: None)
    assert summary["created"] == 1 and Affair.objects.current().filter(district=world.node("甲市一区")).count() == 1


def test_pages_of_the_list_and_a_refusal_by_form(client, world, departments, affair_list):
    client.force_login(world.users["community_worker"])
    page = client.get("/governance/affairs/350101000000/")
    assert page.status_code == 200 and "高龄津贴申领初审" in page.content.decode()
    response = client.post("/governance/affairs/350101000000/", {
        "step": "refuse", "refuse-community": world.node("甲市一区一街一社").code,
        "refuse-department": departments["甲市一区民政局"].pk, "refuse-title": "高龄津贴申领初审"})
    assert response.status_code == 200 and TaskRefusal.objects.count() == 0
    response = client.post("/governance/affairs/350101000000/", {
        "step": "refuse", "refuse-community": world.node("甲市一区一街一社").code,
        "refuse-department": departments["甲市一区民政局"].pk, "refuse-title": "代收有线电视费"})
    assert response.status_code == 302 and TaskRefusal.objects.count() == 1
