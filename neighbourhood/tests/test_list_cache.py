"""The activities list API answered from the cache (core.listcache): shared by a community's residents, never by
its neighbours, fresh after every change, and never kept when the answer was an error."""

from datetime import timedelta

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


def bearer(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


class CountedReads:
    """Counts the cache's reads (each one round trip to Redis) while still reading the real cache."""

    def __init__(self, monkeypatch):
        from django.core.cache import caches

        self.calls = 0
        cache = caches["default"]  # the object behind ``django.core.cache.cache`` in this thread
        real = cache.get_many

        def get_many(keys, *args, **kwargs):
            self.calls += 1
            return real(keys, *args, **kwargs)

        monkeypatch.setattr(cache, "get_many", get_many)


def test_a_token_calling_again_is_answered_in_one_read_of_the_cache_and_no_query(client, world, community, worker,
                                                                                 resident, monkeypatch):
    from accounts.services import token_issue

    publish(worker, community, title="太极拳入门")
    _token, raw = token_issue(actor=resident, name="手机")
    assert titles_for(client, raw) == ["太极拳入门"]
    assert titles_for(client, raw) == ["太极拳入门"]  # the route is known now: its copy for the token is kept
    reads = CountedReads(monkeypatch)
    with CaptureQueriesContext(connection) as captured:
        assert titles_for(client, raw) == ["太极拳入门"]
    assert reads.calls == 1 and not captured.captured_queries, (reads.calls, [q["sql"] for q in captured.captured_queries])


def titles_for(client, raw: str, url: str = URL) -> list[str]:
    response = client.get(url, **bearer(raw))
    assert response.status_code == 200, response.content[:300]
    return [item["title"] for item in response.json()["items"]]


def test_a_tokens_own_copy_is_never_served_after_a_change_of_the_list_or_of_its_holders_roles(client, world, community,
                                                                                              worker, resident):
    from accounts.models import RoleAssignment
    from accounts.services import role_revoke, token_issue

    activity = publish(worker, community, title="太极拳入门")
    _token, raw = token_issue(actor=resident, name="手机")
    for _ in range(3):
        assert titles_for(client, raw) == ["太极拳入门"]
    services.activity_cancel(actor=worker, activity=activity, reason="场地维修")
    publish(worker, community, title="八段锦", days=4)
    assert titles_for(client, raw) == ["八段锦"]
    assert titles_for(client, raw) == ["八段锦"]
    for assignment in RoleAssignment.objects.filter(user=resident, revoked_at__isnull=True):
        role_revoke(actor="test", assignment=assignment)
    assert titles_for(client, raw) == [], "no role, no community's activities"


def test_a_refused_tokens_copy_is_never_served_to_whoever_the_session_signs_in(client, world, community, worker, resident):
    """An expired token sent with another person's session: the API answers as the session's user, and
    what was kept for the token is not what it reads."""
    import time_machine
    from django.utils import timezone

    from accounts.services import token_issue

    publish(worker, community, title="太极拳入门")
    token, raw = token_issue(actor=resident, name="短期", days=1)
    token.expires_at = timezone.now() + timedelta(seconds=20)
    token.save(update_fields=["expires_at"])
    client.force_login(world.users["resident_b"])  # 甲市一区一街二社: a neighbour's community
    for _ in range(3):
        assert titles_for(client, raw) == ["太极拳入门"], "the token is who calls while it is good"
    with time_machine.travel(timezone.now() + timedelta(seconds=30)):  # expired, while what was kept is still kept
        assert titles_for(client, raw) == []
