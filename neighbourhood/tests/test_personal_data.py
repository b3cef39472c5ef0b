"""Residents' personal data in the smart neighbourhood (core.privacy): masked for those who do not handle it,
whole for those who do, their reading it recorded; feedback public only by the sender's choice."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from core.privacy import VIEWED
from excel.registers import get_register
from tests.world import make_user

from .. import services
from ..models import FeedbackRequest
from ..registers import export_feedback, export_needs, import_needs
from .conftest import publish

CITY = "350100000000"


@pytest.fixture
def wang(world, community):
    """A resident with a name and a mobile number, as residents sign up."""
    person = make_user("13812345678", role="resident", division=community, phone="13812345678")
    person.display_name = "王秀英"
    person.save()
    return person


@pytest.fixture
def registered(world, community, worker, wang):
    activity = publish(worker, community, organiser=world.organisations["甲市一区一街一社服务中心"])
    services.registration_create(actor=wang, activity=activity)
    return activity


def test_the_registration_list_names_residents_whole_only_for_those_running_the_activity(client, world, registered):
    url = reverse("neighbourhood:manage", args=[registered.pk])
    for role, shown in (("community_worker", "王秀英"), ("operator_staff", "王秀英"), ("street_admin", "王**")):
        client.force_login(world.users[role])
        page = client.get(url).content.decode()
        assert shown in page, role
        if shown == "王**":
            assert "王秀英" not in page
    client.force_login(world.users["street_admin"])
    [row] = client.get(f"/api/v1/neighbourhood/activities/{registered.pk}/registrations").json()
    assert row["user"] == "王**"
    client.force_login(world.users["community_worker"])
    [row] = client.get(f"/api/v1/neighbourhood/activities/{registered.pk}/registrations").json()
    assert row["user"] == "王秀英"


def test_staff_reading_residents_names_is_recorded_once_per_window(client, world, registered, worker):
    url = reverse("neighbourhood:manage", args=[registered.pk])
    client.force_login(worker)
    client.get(url)
    client.get(url)
    client.get(f"/api/v1/neighbourhood/activities/{registered.pk}/registrations")
    [event] = AuditEvent.objects.filter(action=VIEWED)
    assert (event.actor_id, event.target_id, event.changes) == (worker.pk, str(registered.pk), {"residents": 1})
    assert event.division == registered.community
    with time_machine.travel(timezone.now() + timedelta(minutes=20)):
        client.get(url)
    assert AuditEvent.objects.filter(action=VIEWED).count() == 2
    client.force_login(world.users["street_admin"])  # sees them masked: nothing to record
    client.get(url)
    assert AuditEvent.objects.filter(action=VIEWED).count() == 2
    # The supervisor finds it in the trail.
    client.force_login(world.users["supervisor"])
    trail = client.get(reverse("audit:events")).content.decode()
    assert "查看居民个人信息" in trail or "personal data opened" in trail


@pytest.fixture
def complaint(community, wang):
    return services.feedback_submit(actor=wang, category="noise", description="楼上装修，请回电13812345678", address="3-2-501",
                                    contact_name="王秀英", contact_phone="13812345678")


def test_feedback_sender_and_place_are_whole_for_the_staff_handling_it(client, world, complaint, worker):
    url = reverse("neighbourhood:feedback_detail", args=[complaint.pk])
    client.force_login(worker)
    page = client.get(url).content.decode()
    assert "13812345678" in page and "3-2-501" in page and "王秀英" in page
    assert AuditEvent.objects.filter(action=VIEWED, actor=worker, target_id=str(complaint.pk)).count() == 1
    for role in ("supervisor", "street_admin"):
        client.force_login(world.users[role])
        page = client.get(url).content.decode()
        assert "13812345678" not in page and "3-2-501" not in page and "3-2-***" in page and "138****5678" in page, role
        item = client.get(f"/api/v1/neighbourhood/feedback/{complaint.pk}").json()
        assert item["address"] == "3-2-***" and "13812345678" not in item["description"], role
    assert AuditEvent.objects.filter(action=VIEWED).count() == 1
    # The queue, an overview, never shows the numbers in the words.
    queue = client.get(reverse("neighbourhood:staff_feedback", args=[complaint.community.code])).content.decode()
    assert "楼上装修" in queue and "13812345678" not in queue


def test_the_feedback_export_masks_for_the_street_and_records_a_whole_one(world, complaint, worker):
    rows = list(export_feedback(user=world.users["street_admin"], params={})[1])
    assert rows[0][3] == "3-2-***" and "138****5678" in rows[0][2]
    assert not AuditEvent.objects.filter(action="privacy.personal_data.exported").exists()
    rows = list(export_feedback(user=worker, params={})[1])
    assert rows[0][3] == "3-2-501"
    event = AuditEvent.objects.get(action="privacy.personal_data.exported")
    assert event.actor == worker and event.changes == {"register": str(get_register("neighbourhood.feedback").title), "residents": 1}


def test_whom_a_need_is_for_is_masked_for_the_street_and_reads_back_unchanged(world, community, worker):
    from ..models import Need
    from ..selectors import need_kinds

    kind = need_kinds().first()
    services.need_record(actor=worker, community=community, kind=kind, title="助餐", on_behalf_of="李大爷")
    street = world.users["street_admin"]
    [row] = list(export_needs(user=street, params={})[1])
    assert row[6] == "李**"
    record = {"community": row[0], "kind": row[3], "title": row[4], "description": row[5], "on_behalf_of": row[6]}
    assert import_needs(actor=street, rows=iter([(2, record, [])]), params={}, progress=lambda *a: None)["unchanged"] == 1
    assert Need.objects.count() == 1
    [row] = list(export_needs(user=worker, params={})[1])
    assert row[6] == "李大爷"


def test_feedback_is_private_unless_the_sender_chooses(client, world, community, wang, worker):
    client.force_login(wang)
    form = client.get(reverse("neighbourhood:feedback")).content.decode()
    assert 'name="public"' in form and 'name="public" checked' not in form
    client.post(reverse("neighbourhood:feedback"), {"category": "noise", "description": "广场舞太晚"})
    item = FeedbackRequest.objects.get()
    assert item.public is False and item.public_chosen_at is None
    open311 = reverse("open311:requests")
    assert client.get(open311, {"jurisdiction_id": CITY}).json() == []
    # Staff cannot publish what the sender did not choose to.
    client.force_login(worker)
    client.post(reverse("neighbourhood:feedback_detail", args=[item.pk]), {"publish": "1"})
    assert FeedbackRequest.objects.get().public is False
    # The sender chooses, and may withdraw.
    client.force_login(wang)
    client.post(reverse("neighbourhood:feedback_detail", args=[item.pk]), {"make_public": "1"})
    item.refresh_from_db()
    assert item.public and item.public_chosen_at is not None
    assert [r["service_request_id"] for r in client.get(open311, {"jurisdiction_id": CITY}).json()] == [str(item.pk)]
    answer = client.post(f"/api/v1/neighbourhood/feedback/{item.pk}/public", {"public": False}, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["public"] is False
    assert client.get(open311, {"jurisdiction_id": CITY}).json() == []
    assert AuditEvent.objects.filter(action="neighbourhood.feedback.public_chosen").count() == 2


def test_public_requests_show_no_personal_data_and_only_a_rough_place(client, world, community, wang):
    item = services.feedback_submit(actor=wang, category="public_facilities", description="路灯坏了，联系13812345678",
                                    address="5号楼2单元301室", latitude="24.512345", longitude="118.123456", public=True,
                                    contact_name="王秀英", contact_phone="13812345678")
    [shown] = client.get(reverse("open311:request", args=[str(item.pk)])).json()
    assert (shown["lat"], shown["long"]) == (24.512, 118.123)
    assert shown["address"] == "5号楼2单元***室" and "13812345678" not in str(shown) and "王" not in str(shown)
    assert "138****5678" in shown["description"]
