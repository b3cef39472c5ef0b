"""A button is shown only to those who may press it, when they may press it; a link only where it opens.

The pages ask the same service or permission that decides (``services.may_run``,
``services.staff_check_in_open``, ``services.current_session``, ``services.resident_community``,
the staff pages' permissions), so what a page offers and what the service allows cannot drift apart.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.privacy import mask_name

from .. import services
from ..models import Registration, ServiceOrder
from .conftest import publish, residents, soon

pytestmark = pytest.mark.django_db
COMMUNITY = "甲市一区一街一社"


def street_run_activity(world, **kwargs):
    """An activity the street runs for all its communities, with a resident of 一社 registered."""
    activity = publish(world.users["street_admin"], world.node("甲市一区一街"), **kwargs)
    registration = services.registration_create(actor=residents(world, 1)[0], activity=activity)
    return activity, registration


def test_a_community_worker_sees_no_cancel_or_check_in_on_a_street_run_activity(client, world):
    activity, registration = street_run_activity(world, starts_at=soon(20), ends_at=soon(80),
                                                 registration_closes_at=soon(10))
    client.force_login(world.users["community_worker"])
    page = client.get(f"/neighbourhood/staff/activities/{activity.pk}/").content.decode()
    # The street runs it: the worker of the resident's community reads the name masked (core.privacy).
    assert mask_name(registration.user.label) in page and registration.user.label not in page
    assert 'name="cancel_registration"' not in page and 'name="check_in"' not in page and 'name="cancel_activity"' not in page
    # The service agrees: the worker may not cancel it.
    client.post(f"/neighbourhood/staff/activities/{activity.pk}/", {"cancel_registration": registration.pk})
    assert Registration.objects.get(pk=registration.pk).status == "registered"
    client.force_login(world.users["street_admin"])
    page = client.get(f"/neighbourhood/staff/activities/{activity.pk}/").content.decode()
    assert 'name="cancel_registration"' in page and 'name="check_in"' in page and 'name="cancel_activity"' in page


def test_check_in_is_offered_when_it_opens_not_a_day_early(client, world):
    worker = world.users["community_worker"]
    tomorrow = publish(worker, world.node(COMMUNITY), days=1, hour=10)
    person = residents(world, 1)[0]
    registration = services.registration_create(actor=person, activity=tomorrow)
    client.force_login(worker)
    page = client.get(f"/neighbourhood/staff/activities/{tomorrow.pk}/").content.decode()
    assert 'name="check_in"' not in page and "签到将于" in page
    assert 'name="cancel_registration"' in page
    client.post(f"/neighbourhood/staff/activities/{tomorrow.pk}/", {"check_in": registration.pk})
    assert not registration.attendances.exists()  # the service refuses as the page said
    client.force_login(person)
    assert "/check-in/" not in client.get(f"/neighbourhood/activities/{tomorrow.pk}/").content.decode()

    now = publish(worker, world.node(COMMUNITY), title="马上开始", starts_at=soon(20), ends_at=soon(80), registration_closes_at=soon(10))
    registration = services.registration_create(actor=person, activity=now)
    assert f"/neighbourhood/activities/{now.pk}/check-in/" in client.get(f"/neighbourhood/activities/{now.pk}/").content.decode()
    client.force_login(worker)
    assert f'name="check_in" value="{registration.pk}"' in client.get(f"/neighbourhood/staff/activities/{now.pk}/").content.decode()


def test_an_operator_on_an_order_page_gets_no_residents_tab_bar(client, world):
    resident = world.users["resident"]
    order = services.order_place(actor=resident, category="living_environment", title="修水管")
    client.force_login(resident)
    assert 'class="nb-tabs"' in client.get(f"/neighbourhood/orders/{order.pk}/").content.decode()
    client.force_login(world.users["operator_staff"])
    page = client.get(f"/neighbourhood/orders/{order.pk}/")
    assert page.status_code == 200 and ServiceOrder.objects.filter(pk=order.pk).exists()
    assert 'class="nb-tabs"' not in page.content.decode()
    client.force_login(world.users["community_worker"])
    assert 'class="nb-tabs"' not in client.get(f"/neighbourhood/orders/{order.pk}/").content.decode()


def test_a_resident_signing_in_lands_on_my_neighbourhood_and_staff_on_the_dashboard(client, world):
    from tests.world import PASSWORD

    response = client.post("/accounts/login/", {"username": world.users["resident"].username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/neighbourhood/"
    client.logout()
    response = client.post("/accounts/login/", {"username": world.users["community_worker"].username, "password": PASSWORD})
    assert response["Location"] == "/"
    client.logout()
    response = client.post("/accounts/login/?next=/neighbourhood/feedback/",
                           {"username": world.users["resident"].username, "password": PASSWORD})
    assert response["Location"] == "/neighbourhood/feedback/"


def test_an_operator_is_not_offered_the_staff_pages_it_may_not_open(client, world):
    operator_staff = world.users["operator_staff"]
    client.force_login(operator_staff)
    code = world.node(COMMUNITY).code
    for page in (client.get("/neighbourhood/staff/").content.decode(), client.get("/").content.decode()):
        assert f"/neighbourhood/staff/{code}/feedback/" not in page and f"/neighbourhood/staff/{code}/person-times/" not in page
        assert f"/neighbourhood/staff/{code}/orders/" in page
    assert client.get(f"/neighbourhood/staff/{code}/feedback/").status_code == 403
    assert client.get(f"/neighbourhood/staff/{code}/orders/").status_code == 200


def test_the_staff_lists_link_the_management_page_only_to_those_who_may_open_it(client, world):
    activity = publish(world.users["community_worker"], world.node(COMMUNITY), days=2)
    client.force_login(world.users["supervisor"])  # reads, changes nothing
    code = world.node(COMMUNITY).code
    for url in ("/neighbourhood/staff/", f"/neighbourhood/staff/{code}/activities/"):
        page = client.get(url).content.decode()
        assert f"/neighbourhood/activities/{activity.pk}/" in page and f"/neighbourhood/staff/activities/{activity.pk}/" not in page
    assert client.get(f"/neighbourhood/activities/{activity.pk}/").status_code == 200
    client.force_login(world.users["community_worker"])
    assert f"/neighbourhood/staff/activities/{activity.pk}/" in client.get(f"/neighbourhood/staff/{code}/activities/").content.decode()


def test_the_activity_is_over_once_its_last_session_ends(world):
    activity = publish(world.users["community_worker"], world.node(COMMUNITY), days=1)
    assert not services.activity_is_over(activity, timezone.now())
    assert services.activity_is_over(activity, activity.ends_at + timedelta(seconds=1))
