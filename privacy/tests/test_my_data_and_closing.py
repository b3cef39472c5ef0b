"""A resident's copy of their data (个人信息保护法 第四十五条) and closing their account (第四十七条), on the
page and by the API."""

import io
import json
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import ApiToken, RoleAssignment
from accounts.services import token_issue
from audit.changes import actor_text, record_text
from audit.models import AuditEvent
from neighbourhood import services as nb
from neighbourhood.models import (
    FeedbackRequest,
    Household,
    OrderStatus,
    RegistrationStatus,
    ServiceOrder,
)
from neighbourhood.tests.conftest import publish
from tests.world import PASSWORD, make_user
from volunteers import services as volunteers
from volunteers.models import Volunteer

User = get_user_model()


@pytest.fixture
def community(world):
    return world.node("甲市一区一街一社")


@pytest.fixture
def wang(world, community):
    """A resident who signed up with her mobile number and used the platform for a while."""
    person = make_user("13812345678", role="resident", division=community, phone="13812345678")
    person.display_name = "王秀英"
    person.save()
    worker = world.users["community_worker"]
    nb.household_save(actor=person, address="3-2-501", members=3, tags=["elderly"], consent=True)
    full = publish(worker, community, capacity=1)
    nb.registration_create(actor=person, activity=publish(worker, community, title="剪纸课"))
    nb.registration_create(actor=make_user("neighbour", role="resident", division=community), activity=full)
    nb.registration_create(actor=person, activity=full)  # on the waitlist behind her neighbour
    nb.order_place(actor=person, category="elderly_child", title="上门理发", details="3号楼2单元501，下午在家",
                   preferred_time="周六下午")
    nb.feedback_submit(actor=person, category="noise", description="楼上装修太吵", address="3-2-501", contact_name="王秀英",
                       contact_phone="13812345678", public=True)
    volunteers.volunteer_register(actor=person, community=community, real_name="王秀英", phone="13812345678", skills=["repair"],
                                  availability=["6:morning"], consent=True, id_number="11010519491231002X")
    return person


def test_a_resident_downloads_everything_kept_of_her(client, wang):
    client.force_login(wang)
    page = client.get(reverse("privacy:mine"))
    assert page.status_code == 200 and "剪纸课" in page.content.decode()
    response = client.get(reverse("privacy:download"))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = archive.namelist()
    document = json.loads(archive.read(next(n for n in names if n.endswith(".json"))))
    sections = {s["key"]: s for s in document["sections"]}
    assert sections["privacy.account"]["rows"][0][:3] == ["13812345678", "王秀英", "13812345678"]
    assert sections["neighbourhood.household"]["rows"][0][2] == "3-2-501"
    assert {r[0] for r in sections["neighbourhood.registrations"]["rows"]} == {"剪纸课", "太极拳入门"}
    assert sections["neighbourhood.orders"]["rows"][0][0] == "上门理发"
    assert sections["neighbourhood.feedback"]["rows"][0][6] == "13812345678"
    assert sections["volunteers.volunteer"]["rows"][0][3] == "11010519491231002X"  # her own ID number, whole
    book = load_workbook(io.BytesIO(archive.read(next(n for n in names if n.endswith(".xlsx")))))
    assert len(book.sheetnames) == len(document["sections"])
    event = AuditEvent.objects.get(action="privacy.data.downloaded")
    assert event.actor == wang and event.changes["records"] == sum(len(s["rows"]) for s in document["sections"])
    api = client.get("/api/v1/me/personal-data").json()
    assert [s["key"] for s in api["sections"]] == [s["key"] for s in document["sections"]]


def test_closing_needs_her_password_and_changes_nothing_without_it(client, wang):
    client.force_login(wang)
    page = client.post(reverse("privacy:close"), {"password": "wrong", "understood": "on"})
    assert page.status_code == 200
    wang.refresh_from_db()
    assert wang.is_active and wang.phone == "13812345678"
    assert not AuditEvent.objects.filter(action="privacy.account.closed").exists()
    assert client.post("/api/v1/me/close", {"password": "wrong", "understood": True}, content_type="application/json").status_code == 422
    assert client.post("/api/v1/me/close", {"password": PASSWORD, "understood": False},
                       content_type="application/json").status_code == 422
    assert User.objects.get(pk=wang.pk).is_active


def test_staff_accounts_are_not_closed_by_their_holders(client, world):
    worker = world.users["community_worker"]
    client.force_login(worker)
    assert client.post("/api/v1/me/close", {"password": PASSWORD, "understood": True}, content_type="application/json").status_code == 403
    assert User.objects.get(pk=worker.pk).is_active


def test_a_closed_account_is_anonymised_signed_out_everywhere_and_cannot_sign_in(client, world, wang, community):
    other_session = Client()
    other_session.force_login(wang)
    _token, raw = token_issue(actor=wang, name="手机App")
    events_before = AuditEvent.objects.count()
    last = AuditEvent.objects.order_by("-pk").first().pk
    client.force_login(wang)
    response = client.post(reverse("privacy:close"), {"password": PASSWORD, "understood": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("privacy:closed")
    closed = User.objects.get(pk=wang.pk)
    assert not closed.is_active and not closed.has_usable_password()
    assert closed.username == f"closed-{wang.pk}" and closed.phone is None and closed.display_name != "王秀英"
    # Nobody signs in with it again; no session or token works.
    for username in ("13812345678", f"closed-{wang.pk}"):
        assert Client().post("/api/v1/auth/tokens", {"username": username, "password": PASSWORD},
                             content_type="application/json").status_code == 401
    assert other_session.get(reverse("privacy:mine")).status_code == 302
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    assert not ApiToken.objects.filter(user=closed, revoked_at__isnull=True).exists()
    assert not RoleAssignment.objects.active().filter(user=closed).exists()
    # What she kept of herself is gone; what the community counts stays, under no name.
    assert not Household.objects.filter(resident=closed).exists()
    assert not closed.registrations.filter(status__in=[RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED]).exists()
    full = closed.registrations.get(activity__title="太极拳入门").activity
    assert full.registrations.get(user__username="neighbour").status == RegistrationStatus.REGISTERED  # the waitlist moved up
    order = ServiceOrder.objects.get(resident=closed)
    assert order.status == OrderStatus.CANCELLED and order.details == "" and order.preferred_time == ""
    feedback = FeedbackRequest.objects.get(submitted_by=closed)
    assert feedback.contact_phone == "" and feedback.contact_name == "" and feedback.public is False
    volunteer = Volunteer.objects.get(user=closed)
    assert volunteer.phone == "" and volunteer.id_number == "" and volunteer.real_name != "王秀英"
    # The trail is kept (nothing deleted) and records the closing, naming nobody.
    assert AuditEvent.objects.count() > events_before
    event = AuditEvent.objects.get(action="privacy.account.closed")
    assert event.note == "个人信息保护法 第四十七条" and "13812345678" not in json.dumps(event.changes) + event.actor_name
    assert not AuditEvent.objects.filter(pk__gt=last, actor_name="13812345678").exists()  # the cancellations name nobody
    # Events recorded while the account was open show it as closed now.
    trail = list(AuditEvent.objects.filter(target_type__model="user", target_id=str(wang.pk)).select_related("target_type", "actor"))
    assert trail and all("王" not in record_text(e) + actor_text(e) for e in trail)
    # Her number is free for a new account.
    make_user("13812345678", role="resident", division=community, phone="13812345678")


def test_closing_by_the_api(client, wang):
    client.force_login(wang)
    answer = client.post("/api/v1/me/close", {"password": PASSWORD, "understood": True}, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["kept"]
    assert not User.objects.get(pk=wang.pk).is_active


def test_the_copy_holds_nobody_elses_records(client, world, wang, community):
    neighbour = world.users["resident"]
    nb.feedback_submit(actor=neighbour, category="noise", description="邻居家的诉求", contact_phone="13900009999")
    nb.household_save(actor=neighbour, address="9-9-909", members=1, tags=[], consent=False)
    client.force_login(wang)
    copy = json.dumps(client.get("/api/v1/me/personal-data").json(), ensure_ascii=False)
    assert "王秀英" in copy and "邻居家的诉求" not in copy and "13900009999" not in copy and "9-9-909" not in copy
    client.force_login(world.users["community_worker"])  # staff who read her record get their own copy, not hers
    copy = json.dumps(client.get("/api/v1/me/personal-data").json(), ensure_ascii=False)
    assert "13812345678" not in copy and "3-2-501" not in copy
