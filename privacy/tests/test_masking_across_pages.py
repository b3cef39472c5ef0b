"""Residents' names and numbers on the staff's lists and in the trail (core.privacy): masked for those who
do not handle them — the bureau, a street for what its communities handle — and whole for those who do."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from core.privacy import VIEWED
from neighbourhood import services as nb
from neighbourhood.selectors import need_kinds
from scheduling import services as scheduling
from scheduling.models import Booking
from scheduling.tests.conftest import at, make_room
from tests.world import make_user
from volunteers import services as volunteers


@pytest.fixture
def community(world):
    return world.node("甲市一区一街一社")


@pytest.fixture
def wang(world, community):
    person = make_user("13812345678", role="resident", division=community, phone="13812345678")
    person.display_name = "王秀英"
    person.save()
    return person


def _page(client, user, url) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, (user, url, response.status_code)
    return response.content.decode()


def test_the_trail_masks_residents_and_their_numbers_for_every_reader(client, world, wang):
    nb.household_save(actor=wang, address="3-2-501", members=2, tags=[], consent=False)
    for role in ("supervisor", "street_admin"):
        page = _page(client, world.users[role], reverse("audit:events"))
        assert "王秀英" not in page and "王**" in page and "3-2-501" not in page, role
    client.force_login(world.users["supervisor"])
    events = client.get("/api/v1/audit-events", {"actor": "13812345678"}).json()["items"]
    assert events and all(e["actor_name"] == "138****5678" for e in events)
    admin = make_user("root")  # the account's creation is at no division: the system administrator reads it
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    [created] = client.get("/api/v1/audit-events", {"action": "accounts.user.created", "target_type": "accounts.user",
                                                    "target_id": str(wang.pk)}).json()["items"]
    assert created["changes"]["phone"] == "138****5678" and "13812345678" not in str(created)
    # Staff stay named: the trail is the record of their work.
    worker = world.users["community_worker"]
    worker.display_name = "李社工"
    worker.save()
    nb.need_record(actor=worker, community=world.node("甲市一区一街一社"), kind=need_kinds().first(), title="助餐")
    assert "李社工" in _page(client, world.users["supervisor"], reverse("audit:events"))


def test_the_people_page_masks_residents_mobile_numbers(client, world, wang):
    for role in ("street_admin", "supervisor"):
        page = _page(client, world.users[role], reverse("accounts:people") + "?role=resident")
        assert "13812345678" not in page and "138****5678" in page and "王**" in page, role
        client.force_login(world.users[role])
        rows = client.get("/api/v1/role-assignments", {"role": "resident"}).json()["items"]
        mine = next(r for r in rows if r["username"].startswith("138"))
        assert (mine["username"], mine["user_label"]) == ("138****5678", "王**")


def test_bookings_by_residents_are_masked_for_those_who_do_not_handle_the_room(client, world, community, wang):
    room = make_room(community)
    booking = scheduling.booking_create(actor=world.users["community_worker"], room=room, start=at(2, 10), end=at(2, 11), title="家庭聚会")
    Booking.objects.filter(pk=booking.pk).update(booker=wang)
    url = reverse("scheduling:bookings") + f"?since={at(0, 0).date().isoformat()}"
    assert "王秀英" in _page(client, world.users["community_worker"], url)
    assert AuditEvent.objects.filter(action=VIEWED, actor=world.users["community_worker"]).count() == 1
    page = _page(client, world.users["street_admin"], url)
    assert "王秀英" not in page and "王**" in page
    client.force_login(world.users["street_admin"])
    detail = client.get(f"/api/v1/scheduling/bookings/{booking.pk}")
    assert detail.status_code == 200 and detail.json()["booker"] == "138****5678"


def test_volunteers_are_named_whole_only_for_their_community(client, world, community, wang):
    volunteers.volunteer_register(actor=wang, community=community, real_name="王秀英", phone="13812345678", skills=["repair"],
                                  availability=[], consent=True)
    url = reverse("volunteers:staff", args=[community.code])
    assert "王秀英" in _page(client, world.users["community_worker"], url)
    assert AuditEvent.objects.filter(action=VIEWED, actor=world.users["community_worker"]).count() == 1
    page = _page(client, world.users["street_admin"], url)
    assert "王秀英" not in page and "王**" in page
    client.force_login(world.users["supervisor"])
    [row] = client.get("/api/v1/volunteers/volunteers").json()["items"]
    assert row["real_name"] == "王**"


def test_the_steps_of_an_order_name_the_resident_only_for_its_community(client, world, community, wang):
    order = nb.order_place(actor=wang, category="elderly_child", title="上门理发")
    url = reverse("neighbourhood:order", args=[order.pk])
    assert "王秀英" in _page(client, world.users["community_worker"], url)
    assert AuditEvent.objects.filter(action=VIEWED, target_id=str(order.pk)).count() == 1
    page = _page(client, world.users["supervisor"], url)
    assert "王秀英" not in page and "王**" in page


def test_the_back_office_masks_what_the_pages_mask(client, world, community, wang):
    volunteer = volunteers.volunteer_register(actor=wang, community=community, real_name="王秀英", phone="13812345678",
                                              skills=["repair"], availability=[], consent=True, id_number="11010519491231002X")
    item = nb.feedback_submit(actor=wang, category="noise", description="请回电13812345678", address="3-2-501",
                              contact_name="王秀英", contact_phone="13812345678")
    street = world.users["street_admin"]
    for url in (reverse("admin:volunteers_volunteer_changelist"), reverse("admin:volunteers_volunteer_change", args=[volunteer.pk]),
                reverse("admin:neighbourhood_feedbackrequest_change", args=[item.pk]),
                reverse("admin:accounts_roleassignment_changelist") + "?role=resident"):
        page = _page(client, street, url)
        assert "王秀英" not in page and "13812345678" not in page and "11010519491231002X" not in page and "3-2-501" not in page, url
    assert "110105********002X" in _page(client, street, reverse("admin:volunteers_volunteer_change", args=[volunteer.pk]))
