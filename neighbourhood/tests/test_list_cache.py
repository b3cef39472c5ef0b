"""The activities list API answered from the cache (core.listcache): shared by a community's residents, never by
its neighbours, fresh after every change, and never kept when the answer was an error."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import listcache

from .. import services
from ..models import Activity
from .conftest import publish, residents

pytestmark = pytest.mark.django_db
URL = "/api/v1/neighbourhood/activities?page_size=20"


def titles(client, url: str = URL) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return [item["title"] for item in response.json()["items"]]


def test_a_communitys_residents_share_one_answer_read_without_the_activities(client, world, community, worker):
    publish(worker, community, title="太极拳入门")
    first, second = residents(world, 2)
    client.force_login(first)
    assert titles(client) == ["太极拳入门"]
    client.force_login(second)
    with CaptureQueriesContext(connection) as captured:
        assert titles(client) == ["太极拳入门"]
    read = " ".join(q["sql"] for q in captured.captured_queries)
    assert "neighbourhood_activity" not in read, "the second resident's answer came from the cache"


def test_a_change_the_signals_do_not_see_is_served_until_it_says_so(client, world, community, worker, resident):
    activity = publish(worker, community, title="太极拳入门")
    client.force_login(resident)
    assert titles(client) == ["太极拳入门"]
    Activity.objects.filter(pk=activity.pk).update(title="八段锦")  # no signal: the cached answer stands
    assert titles(client) == ["太极拳入门"]
    listcache.changed(Activity)
    assert titles(client) == ["八段锦"]


def test_every_change_through_the_services_is_seen_at_once(client, world, community, worker, resident):
    activity = publish(worker, community, title="太极拳入门", capacity=5)
    client.force_login(resident)
    assert client.get(URL).json()["items"][0]["registered_places"] == 0
    services.registration_create(actor=resident, activity=activity)
    assert client.get(URL).json()["items"][0]["registered_places"] == 1
    publish(worker, community, title="八段锦", days=4)
    assert titles(client) == ["太极拳入门", "八段锦"]
    services.activity_cancel(actor=worker, activity=activity, reason="场地维修")
    assert titles(client) == ["八段锦"]


def test_a_bulk_build_starts_one_generation_at_its_end(client, world, community, worker, resident):
    publish(worker, community, title="太极拳入门")
    client.force_login(resident)
    assert titles(client) == ["太极拳入门"]
    with listcache.paused():
        publish(worker, community, title="八段锦", days=4)
        assert titles(client) == ["太极拳入门"], "no generation while the build runs"
    assert titles(client) == ["太极拳入门", "八段锦"]


def test_the_next_community_never_reads_this_ones_answer(client, world, community, worker, resident):
    publish(worker, community, title="太极拳入门")
    client.force_login(resident)
    assert titles(client) == ["太极拳入门"]
    client.force_login(world.users["resident_b"])  # 甲市一区一街二社: a neighbour's community
    assert titles(client) == []


def test_filters_and_pages_are_answers_of_their_own(client, world, community, worker, resident):
    publish(worker, community, title="太极拳入门", category="food_recreation")
    publish(worker, community, title="防诈骗讲座", category="employment_business", days=4)
    client.force_login(resident)
    assert titles(client) == ["太极拳入门", "防诈骗讲座"]
    assert titles(client, URL + "&category=employment_business") == ["防诈骗讲座"]
    assert titles(client, "/api/v1/neighbourhood/activities?page_size=1&page=2") == ["防诈骗讲座"]


def test_an_error_is_not_kept(client, world, community, worker, resident):
    publish(worker, community, title="太极拳入门")
    client.force_login(resident)
    assert client.get(URL + "&since=yesterday").status_code == 422
    assert client.get(URL + "&since=2026-01-01T00:00:00Z").status_code == 200


def test_a_cache_that_is_down_costs_nothing_but_speed(client, world, community, worker, resident, settings):
    from accounts.services import token_issue

    publish(worker, community, title="太极拳入门")
    _token, raw = token_issue(actor=resident, name="脚本")  # a token: no session, which would need the cache itself
    settings.CACHES = {"default": {"BACKEND": "core.redis_cache.KeptClientRedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0", "OPTIONS": {"socket_connect_timeout": 0.2}}}
    response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200 and [a["title"] for a in response.json()["items"]] == ["太极拳入门"]


def test_every_process_starts_new_generations_without_importing_the_api():
    """The task worker and management commands never import the API, yet change activities, tokens and roles."""
    import subprocess
    import sys

    code = "import django; django.setup(); from core.listcache import _watched; print(sorted(m._meta.label for m in _watched))"
    watched = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True).stdout
    for label in ("neighbourhood.Activity", "org.Division", "accounts.ApiToken", "accounts.User", "accounts.RoleAssignment",
                  "org.Organisation"):
        assert label in watched, label
