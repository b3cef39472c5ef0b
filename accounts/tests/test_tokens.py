"""API tokens expire by default and do only what their scope allows; an Open311 api_key must be an
Open311 token."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import token_issue
from neighbourhood.models import FeedbackRequest
from tests.world import PASSWORD

pytestmark = pytest.mark.django_db

CITY = "350100000000"  # 甲市


def _bearer(raw):
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _open311(client, key, **extra):
    return client.post("/open311/v2/requests.json", {
        "api_key": key, "jurisdiction_id": CITY, "service_code": "noise", "lat": "24.5001", "long": "118.1002",
        "description": "楼下装修太吵", **extra})


def test_a_token_expires_after_the_default_days_unless_asked_for_fewer(client, world, settings):
    settings.API_TOKEN_DAYS, settings.API_TOKEN_MAX_DAYS = 30, 60
    answer = client.post("/api/v1/auth/tokens", {"username": "resident_a", "password": PASSWORD, "name": "脚本"},
                         content_type="application/json")
    assert answer.status_code == 201, answer.content
    issued = answer.json()
    assert issued["scope"] == "full"
    token = ApiToken.objects.get(pk=issued["id"])
    assert abs(token.expires_at - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)
    short, _raw = token_issue(actor=world.users["resident"], name="短期", days=7)
    assert abs(short.expires_at - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)
    too_long = client.post("/api/v1/auth/tokens", {"username": "resident_a", "password": PASSWORD, "days": 61},
                           content_type="application/json")
    assert too_long.status_code == 422 and "days" in too_long.json()["fields"]


def test_an_expired_token_is_refused(client, world):
    _token, raw = token_issue(actor=world.users["resident"], name="旧", days=10, now=timezone.now() - timedelta(days=11))
    assert client.get("/api/v1/me", **_bearer(raw)).status_code == 401
    _token, raw = token_issue(actor=world.users["resident"], name="新")
    assert client.get("/api/v1/me", **_bearer(raw)).status_code == 200


def test_a_read_only_token_reads_and_changes_nothing(client, world):
    user = world.users["community_worker"]
    token, raw = token_issue(actor=user, name="看板", scope="read")
    assert client.get("/api/v1/me", **_bearer(raw)).json()["username"] == user.username
    refused = client.delete(f"/api/v1/auth/tokens/{token.pk}", **_bearer(raw))
    assert refused.status_code == 403 and refused.json()["code"] == "token_scope"
    token.refresh_from_db()
    assert token.revoked_at is None
    full, raw_full = token_issue(actor=user, name="脚本")
    assert client.delete(f"/api/v1/auth/tokens/{token.pk}", **_bearer(raw_full)).status_code == 204


def test_an_open311_token_files_feedback_and_nothing_else(client, world):
    _token, key = token_issue(actor=world.users["resident"], name="城市App", scope="open311")
    refused = client.get("/api/v1/me", **_bearer(key))
    assert refused.status_code == 403 and refused.json()["code"] == "token_scope"
    filed = _open311(client, key)
    assert filed.status_code == 201, filed.content
    assert FeedbackRequest.objects.get().submitted_by == world.users["resident"]


@pytest.mark.parametrize("scope", ["full", "read"])
def test_an_open311_api_key_must_be_an_open311_token(client, world, scope):
    _token, key = token_issue(actor=world.users["resident"], name="通用", scope=scope)
    refused = _open311(client, key)
    assert refused.status_code == 403
    assert "Open311" in refused.json()[0]["description"]
    assert not FeedbackRequest.objects.exists()


def test_the_profile_page_issues_a_token_with_its_scope_and_shows_when_it_expires(client, world, settings):
    settings.API_TOKEN_DAYS = 90
    client.force_login(world.users["resident"])
    page = client.get("/accounts/profile/")
    assert page.status_code == 200 and 'name="scope"' in page.content.decode()
    answer = client.post("/accounts/profile/", {"name": "城市App", "scope": "open311", "days": ""})
    assert answer.status_code == 200
    token = ApiToken.objects.get(user=world.users["resident"])
    assert token.scope == "open311"
    assert abs(token.expires_at - (timezone.now() + timedelta(days=90))) < timedelta(minutes=1)
    shown = answer.content.decode()
    assert timezone.localtime(token.expires_at).strftime("%Y-%m-%d") in shown and token.get_scope_display() in shown
    assert client.post("/accounts/profile/", {"name": "x", "scope": "everything"}).status_code == 200
    assert ApiToken.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_tokens_issued_before_scopes_keep_full_access_and_now_expire(settings):
    """The migration: a token without an end gets one, API_TOKEN_DAYS from the upgrade."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    settings.API_TOKEN_DAYS = 90
    before, after = [("accounts", "0002_role_unit_staff")], [("accounts", "0003_token_scope_and_expiry")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    user = old.get_model("accounts", "User").objects.create(username="old_script_owner")
    old.get_model("accounts", "ApiToken").objects.create(user=user, name="旧脚本", prefix="ll_abcde", digest="d" * 64, expires_at=None)
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    token = ApiToken.objects.get(digest="d" * 64)
    assert token.scope == "full"
    assert abs(token.expires_at - (timezone.now() + timedelta(days=90))) < timedelta(minutes=1)


# The token, its user and their roles are kept in the cache between calls (accounts.auth.token_holder);
# every change that matters is seen by the very next call.

def _calls_without_queries(client, raw) -> bool:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get("/api/v1/me", **_bearer(raw)).status_code == 200
    return not any("accounts_apitoken" in q["sql"] for q in captured.captured_queries)


def test_a_kept_token_is_read_without_a_query_and_its_revocation_is_seen_at_once(client, world):
    from accounts.services import token_revoke

    user = world.users["resident"]
    token, raw = token_issue(actor=user, name="脚本")
    assert client.get("/api/v1/me", **_bearer(raw)).status_code == 200
    assert _calls_without_queries(client, raw), "the second call reads the token from the cache"
    token_revoke(actor=user, token=token)
    assert client.get("/api/v1/me", **_bearer(raw)).status_code == 401


def test_taking_a_role_away_or_closing_the_account_is_seen_by_the_next_call(client, world):
    from accounts.models import RoleAssignment
    from accounts.services import role_revoke

    worker = world.users["community_worker"]
    _token, raw = token_issue(actor=worker, name="看板")
    url = "/api/v1/neighbourhood/orders"
    assert client.get(url, **_bearer(raw)).status_code == 200
    assert _calls_without_queries(client, raw)
    for assignment in RoleAssignment.objects.filter(user=worker, revoked_at__isnull=True):
        role_revoke(actor="test", assignment=assignment)
    assert client.get(url, **_bearer(raw)).json()["count"] == 0, "no role, nothing in scope"
    worker.is_active = False
    worker.save(update_fields=["is_active"])
    assert client.get("/api/v1/me", **_bearer(raw)).status_code == 401


def test_a_kept_token_expires_on_time(client, world):
    import time_machine

    _token, raw = token_issue(actor=world.users["resident"], name="短期", days=1)
    assert client.get("/api/v1/me", **_bearer(raw)).status_code == 200
    assert _calls_without_queries(client, raw)
    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1)):
        assert client.get("/api/v1/me", **_bearer(raw)).status_code == 401


def test_use_is_written_back_at_most_every_five_minutes(client, world):
    token, raw = token_issue(actor=world.users["resident"], name="脚本")
    client.get("/api/v1/me", **_bearer(raw))
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get("/api/v1/me", **_bearer(raw))
    token.refresh_from_db()
    assert token.last_used_at == first
