"""The API and the pages: a resident's whole path through the test client (sign up, apply, scan the
QR code to sign in and out, see the time bank), the organiser's page, refusals and query counts."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from volunteers import services
from volunteers.models import ServiceRecord, Volunteer

pytestmark = pytest.mark.django_db


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_api_sign_up_apply_sign_in_out_and_confirm(client, world, community, resident, worker, now):
    client.force_login(resident)
    response = post(client, "/api/v1/volunteers/volunteers", {"community": community.code, "real_name": "王秀英", "phone": "13800001111",
                                                             "skills": ["elderly_care"], "availability": ["6:morning"], "consent": True})
    assert response.status_code == 201, response.content
    client.force_login(worker)
    response = post(client, "/api/v1/volunteers/opportunities", {
        "community": community.code, "title": "助老送餐", "places": 2, "starts_at": (now - timedelta(minutes=5)).isoformat(),
        "ends_at": (now + timedelta(hours=3)).isoformat(), "place": "社区食堂", "auto_accept": True})
    assert response.status_code == 201, response.content
    item = services.Opportunity.objects.get(pk=response.json()["id"])
    client.force_login(resident)
    assert client.post(f"/api/v1/volunteers/opportunities/{item.pk}/apply").status_code == 201
    response = post(client, f"/api/v1/volunteers/opportunities/{item.pk}/sign-out", {"code": services.sign_code(item)})
    assert response.status_code == 409 and response.json()["code"] == "not_signed_in"
    assert post(client, f"/api/v1/volunteers/opportunities/{item.pk}/sign-in", {"code": services.sign_code(item)}).status_code == 201
    record = ServiceRecord.objects.get()
    ServiceRecord.objects.filter(pk=record.pk).update(signed_in_at=timezone.now() - timedelta(hours=2))
    response = post(client, f"/api/v1/volunteers/opportunities/{item.pk}/sign-out", {"code": services.sign_code(item)})
    assert response.status_code == 200 and response.json()["minutes"] >= 119
    response = post(client, f"/api/v1/volunteers/records/{record.pk}/confirm", {})
    assert response.status_code == 403
    client.force_login(worker)
    assert post(client, f"/api/v1/volunteers/records/{record.pk}/confirm", {}).status_code == 200
    client.force_login(resident)
    assert float(client.get("/api/v1/volunteers/me").json()["confirmed_hours"]) >= 1.9
    client.force_login(world.users["supervisor"])
    rows = client.get(f"/api/v1/volunteers/hours?within={world.node('甲市一区').code}").json()
    assert any(r["name"] == "甲市一区一街" and float(r["hours"]) > 0 for r in rows)


def test_api_refuses_bad_sign_up_in_chinese_and_writes_nothing(client, community, resident):
    client.force_login(resident)
    events = AuditEvent.objects.count()
    response = client.post("/api/v1/volunteers/volunteers", data=json.dumps({
        "community": community.code, "real_name": "王", "phone": "138", "skills": ["elderly_care"], "consent": False}),
        content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 422 and "consent" in response.json()["fields"]
    assert not Volunteer.objects.exists() and AuditEvent.objects.count() == events


def test_the_phone_path_through_the_pages(client, community, resident, worker, now):
    """Browser-free end to end: sign up on the phone page, apply, open the QR link, sign in and out, see the hours confirmed."""
    client.force_login(resident)
    assert client.get(reverse("volunteers:home")).status_code == 200
    response = client.post(reverse("volunteers:signup"), {"real_name": "王秀英", "phone": "13800001111", "skills": ["elderly_care"],
                                                          "availability": ["6:morning"], "consent": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    item = services.opportunity_publish(actor=worker, community=community, title="助老送餐", places=2, starts_at=now - timedelta(minutes=5),
                                        ends_at=now + timedelta(hours=3), place="社区食堂")
    assert client.post(reverse("volunteers:apply", args=[item.pk])).status_code == 302
    client.force_login(worker)
    page = client.get(reverse("volunteers:manage", args=[item.pk]))
    assert page.status_code == 200 and "王秀英" in page.content.decode()
    application = item.applications.get()
    client.post(reverse("volunteers:decide", args=[application.pk]), {"accept": "1"})
    assert client.get(reverse("volunteers:code", args=[item.pk])).content.decode().count("<svg") == 1
    client.force_login(resident)
    url = reverse("volunteers:sign", args=[item.pk])
    assert client.get(f"{url}?code={services.sign_code(item)}").status_code == 200
    assert client.post(url, {"code": services.sign_code(item), "via": "qr", "action": "in"}).status_code == 302
    ServiceRecord.objects.update(signed_in_at=timezone.now() - timedelta(hours=1))
    assert client.post(url, {"code": services.sign_code(item), "action": "out"}).status_code == 302
    again = client.post(url, {"code": services.sign_code(item), "action": "out"})
    assert again.status_code == 200 and "already signed out" in again.content.decode() or "已" in again.content.decode()
    client.force_login(worker)
    record = ServiceRecord.objects.get()
    assert client.post(reverse("volunteers:confirm", args=[record.pk]), {"minutes": "50"}).status_code == 302
    client.force_login(resident)
    page = client.get(reverse("volunteers:hours")).content.decode()
    assert "0.8" in page


def test_the_staff_page_lists_in_few_queries(client, world, community, worker, now, django_assert_max_num_queries):
    from tests.world import make_user

    for i in range(12):
        person = make_user(f"p{i}", role="resident", division=community)
        services.volunteer_register(actor=person, community=community, real_name=f"志愿者{i}", phone="13800001111", skills=["repair"],
                                    availability=[], consent=True)
        services.opportunity_publish(actor=worker, community=community, title=f"岗位{i}", places=3, starts_at=now + timedelta(hours=1),
                                     ends_at=now + timedelta(hours=2), place="p")
    client.force_login(world.users["street_admin"])
    url = reverse("volunteers:staff", args=[world.node("甲市一区一街").code])
    with django_assert_max_num_queries(25):
        assert client.get(url).status_code == 200
    client.force_login(world.users["resident"])
    with django_assert_max_num_queries(20):
        assert client.get(reverse("volunteers:home")).status_code == 200


def test_the_hours_export_masks_the_id_number(world, community, resident, worker, now):
    from volunteers.registers import export_hours, mask_id_number

    assert mask_id_number("11010519491231002X") == "110105********002X"
    services.volunteer_register(actor=resident, community=community, real_name="王秀英", phone="13800001111", skills=["repair"],
                                availability=[], consent=True, id_number="11010519491231002X")
    item = services.opportunity_publish(actor=worker, community=community, title="助老", places=2, starts_at=now - timedelta(minutes=5),
                                        ends_at=now + timedelta(hours=3), place="p", auto_accept=True)
    services.application_submit(actor=resident, opportunity=item)
    record = services.sign_in(actor=resident, opportunity=item, code=services.sign_code(item))
    ServiceRecord.objects.filter(pk=record.pk).update(signed_in_at=timezone.now() - timedelta(hours=2))
    services.sign_out(actor=resident, opportunity=item, code=services.sign_code(item))
    services.record_confirm(actor=worker, record=ServiceRecord.objects.get())
    count, rows = export_hours(user=worker, params={})
    rows = list(rows)
    assert count == 1 and rows[0][0] == "王秀英" and rows[0][1] == "110105********002X" and rows[0][7] == "助老"
    # The street does not organise the service: the name and the number masked (core.privacy).
    rows = list(export_hours(user=world.users["street_admin"], params={})[1])
    assert rows[0][:3] == ["王**", "110105********002X", "138****1111"]
    assert export_hours(user=world.users["resident_b"], params={})[0] == 0


def test_the_measure_counts_hours_served_in_the_month(world, community, resident, worker, now):
    from core.measures import MEASURES, Month

    services.volunteer_register(actor=resident, community=community, real_name="王", phone="13800001111", skills=["repair"],
                                availability=[], consent=True)
    item = services.opportunity_publish(actor=worker, community=community, title="助老", places=2, starts_at=now - timedelta(minutes=5),
                                        ends_at=now + timedelta(hours=3), place="p", auto_accept=True)
    services.application_submit(actor=resident, opportunity=item)
    record = services.sign_in(actor=resident, opportunity=item, code=services.sign_code(item))
    ServiceRecord.objects.filter(pk=record.pk).update(signed_in_at=timezone.now() - timedelta(minutes=90))
    services.sign_out(actor=resident, opportunity=item, code=services.sign_code(item))
    services.record_confirm(actor=worker, record=ServiceRecord.objects.get())
    month = Month.of(timezone.localtime(ServiceRecord.objects.get().signed_in_at).date())
    figures = MEASURES["volunteers.hours"].compute(world.node("甲市"), month)
    assert figures[community.pk][0] == pytest.approx(1.5, abs=0.02)
    assert figures[world.node("甲市一区一街二社").pk][0] == 0


def test_my_opportunities_on_the_phone_are_those_still_to_come(client, resident, opportunity, accepted, now):
    from volunteers.models import Opportunity

    client.force_login(resident)
    page = client.get(reverse("volunteers:home")).content.decode()
    assert "助老送餐" in page
    Opportunity.objects.filter(pk=opportunity.pk).update(starts_at=now - timedelta(days=3), ends_at=now - timedelta(days=3) + timedelta(hours=2))
    assert "助老送餐" not in client.get(reverse("volunteers:home")).content.decode()


def test_the_organisers_page_shows_the_code_only_while_signing_is_open(client, worker, opportunity, now):
    from volunteers.models import Opportunity

    client.force_login(worker)
    url = reverse("volunteers:manage", args=[opportunity.pk])
    assert f'hx-get="{reverse("volunteers:code", args=[opportunity.pk])}"' in client.get(url).content.decode()
    Opportunity.objects.filter(pk=opportunity.pk).update(starts_at=now - timedelta(days=3), ends_at=now - timedelta(days=3) + timedelta(hours=2))
    page = client.get(url).content.decode()
    assert reverse("volunteers:code", args=[opportunity.pk]) not in page
    assert reverse("volunteers:confirm_all", args=[opportunity.pk]) not in page  # nothing awaits confirmation
