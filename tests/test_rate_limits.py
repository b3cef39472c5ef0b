"""Rate limits (core.ratelimit): sign-in, sign-up codes, sign-up, feedback and Open311 posts answer 429
once an address (or an account) has used its allowance, in the API's error shape or as the error page."""

import json

import pytest

from accounts.services import token_issue
from core import ratelimit
from core.errors import RateLimited
from neighbourhood.models import FeedbackRequest
from tests.test_settings import run_manage
from tests.world import PASSWORD

pytestmark = pytest.mark.django_db

CITY = "350100000000"  # 甲市


@pytest.fixture
def limits(settings):
    """Every limit at two attempts an hour, so the third is refused."""
    settings.RATE_LIMITS = {name: "2/h" for name in settings.RATE_LIMITS}
    return settings.RATE_LIMITS


def _json(client, url, body, **extra):
    return client.post(url, data=json.dumps(body), content_type="application/json", **extra)


def _refused_in_the_api_shape(response):
    assert response.status_code == 429, response.content
    body = response.json()
    assert body["code"] == "rate_limited" and body["message"] and body["fields"] == {}
    assert 1 <= int(response["Retry-After"]) <= 3600, "the client is told how long to wait"


def test_a_rate_is_a_count_over_a_period():
    assert ratelimit.parse_rate("20/10m") == (20, 600)
    assert ratelimit.parse_rate("5/h") == (5, 3600)
    assert ratelimit.parse_rate("100/d") == (100, 86400)
    for bad in ("", "20", "0/m", "5/0m", "5/w", "many/h"):
        with pytest.raises(Exception, match="count over a period"):
            ratelimit.parse_rate(bad)


def test_a_bad_limit_in_the_environment_stops_linli_at_start():
    result = run_manage("check", RATE_LIMIT_SIGN_IN="lots")
    assert result.returncode != 0 and "RATE_LIMIT_SIGN_IN must be a count over a period" in result.stderr


def test_each_key_has_its_own_allowance_in_each_window(limits):
    ratelimit.hit("sign_in", "ip:1", now=1000)
    ratelimit.hit("sign_in", "ip:1", now=1001)
    with pytest.raises(RateLimited) as refused:
        ratelimit.hit("sign_in", "ip:1", now=1002)
    assert refused.value.status == 429 and refused.value.extra["retry_after"] > 0
    ratelimit.hit("sign_in", "ip:2", now=1003)  # another address
    ratelimit.hit("feedback", "ip:1", now=1004)  # another limit
    ratelimit.hit("sign_in", "ip:1", now=3600 * 2)  # the next hour


def test_sign_in_attempts_are_limited_per_address_on_the_page_and_the_api(client, world, limits):
    for _ in range(2):
        assert client.post("/accounts/login/", {"username": "resident_a", "password": "wrong"}).status_code == 200
    refused = client.post("/accounts/login/", {"username": "resident_a", "password": PASSWORD})
    assert refused.status_code == 429 and b"<html" in refused.content.lower()
    assert 1 <= int(refused["Retry-After"]) <= 3600
    _refused_in_the_api_shape(_json(client, "/api/v1/auth/tokens", {"username": "resident_a", "password": PASSWORD}))
    # Another address still signs in.
    assert _json(client, "/api/v1/auth/tokens", {"username": "resident_a", "password": PASSWORD},
                 REMOTE_ADDR="10.1.2.3").status_code == 201


def test_sign_up_codes_and_sign_ups_are_limited_per_address(client, world, limits):
    for number in ("13900000001", "13900000002"):
        assert _json(client, "/api/v1/residents/phone-codes", {"phone": number}).status_code == 202
    _refused_in_the_api_shape(_json(client, "/api/v1/residents/phone-codes", {"phone": "13900000003"}))
    assert client.post("/accounts/sign-up/code/", {"phone": "13900000004"}).status_code == 429
    body = {"phone": "13900000009", "code": "000000", "password": "a-long-password-1", "display_name": "新居民",
            "community_code": world.node("甲市一区一街一社").code}
    for _ in range(2):
        assert _json(client, "/api/v1/residents", body).status_code == 422  # the code is wrong
    _refused_in_the_api_shape(_json(client, "/api/v1/residents", body))
    assert client.post("/accounts/sign-up/", {**body, "community_code": body["community_code"]}).status_code == 429


def test_feedback_is_limited_per_account_and_per_address(client, world, limits):
    client.force_login(world.users["resident"])
    body = {"category": "noise", "description": "楼下装修太吵"}
    for _ in range(2):
        assert _json(client, "/api/v1/neighbourhood/feedback", body).status_code == 201
    _refused_in_the_api_shape(_json(client, "/api/v1/neighbourhood/feedback", body))
    # The same account from another address: still its allowance used up.
    _refused_in_the_api_shape(_json(client, "/api/v1/neighbourhood/feedback", body, REMOTE_ADDR="10.9.9.9"))
    page = client.post("/neighbourhood/feedback/", {"category": "noise", "description": "还是很吵"}, REMOTE_ADDR="10.9.9.9")
    assert page.status_code == 429
    assert FeedbackRequest.objects.count() == 2


def test_open311_posts_are_limited(client, world, limits):
    _token, key = token_issue(actor=world.users["resident"], name="城市App", scope="open311")
    form = {"api_key": key, "jurisdiction_id": CITY, "service_code": "noise", "lat": "24.5001", "long": "118.1002",
            "description": "夜间施工"}
    for _ in range(2):
        assert client.post("/open311/v2/requests.json", form).status_code == 201
    refused = client.post("/open311/v2/requests.json", form)
    assert refused.status_code == 429 and refused.json()[0]["code"] == 429 and int(refused["Retry-After"]) >= 1
    assert FeedbackRequest.objects.count() == 2


def test_the_back_office_signs_in_through_the_one_limited_sign_in_page(client, world, limits):
    answer = client.post("/admin/login/?next=/admin/", {"username": "resident_a", "password": "wrong"})
    assert answer.status_code == 302 and answer["Location"].startswith("/accounts/login/?next=/admin/")
    for _ in range(2):
        client.post("/accounts/login/?next=/admin/", {"username": "resident_a", "password": "wrong"})
    assert client.post("/accounts/login/?next=/admin/", {"username": "resident_a", "password": PASSWORD}).status_code == 429
    client.force_login(world.users["resident"])
    assert client.get("/admin/login/?next=/admin/").status_code == 403, "signed in without the back office"


PROXY = "10.0.0.1"  # the one nginx in front of the app servers


def _through_the_proxy(client_address: str, written_by_client: str = "") -> dict:
    """What an app server receives from nginx appending the address it saw to X-Forwarded-For."""
    forwarded = f"{written_by_client}, {client_address}" if written_by_client else client_address
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded}


def test_behind_a_proxy_each_client_has_its_own_allowance_and_what_it_writes_in_the_header_is_not_believed(
        client, world, limits, settings):
    settings.PROXY_COUNT = 1
    sign_in = {"username": "resident_a", "password": "wrong"}
    for _ in range(2):
        assert client.post("/accounts/login/", sign_in, **_through_the_proxy("203.0.113.7")).status_code == 200
    assert client.post("/accounts/login/", sign_in, **_through_the_proxy("203.0.113.7")).status_code == 429
    # Another client, through the same proxy, is not held back by the first one's attempts ...
    assert client.post("/accounts/login/", sign_in, **_through_the_proxy("198.51.100.20")).status_code == 200
    # ... and the first cannot pass for someone else by writing another address into the header.
    assert client.post("/accounts/login/", sign_in, **_through_the_proxy("203.0.113.7", written_by_client="192.0.2.99")
                       ).status_code == 429


def test_behind_a_proxy_the_lockout_and_the_audit_trail_take_the_clients_address(client, world, settings):
    from django.test import RequestFactory

    from core.middleware import RequestContextMiddleware, current_ip

    settings.PROXY_COUNT = 1
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "resident_a", "password": "wrong"}, **_through_the_proxy("203.0.113.7"))
    assert client.post("/accounts/login/", {"username": "resident_a", "password": PASSWORD},
                       **_through_the_proxy("203.0.113.7")).status_code == 429
    answer = client.post("/accounts/login/", {"username": "resident_a", "password": PASSWORD},
                         **_through_the_proxy("198.51.100.20"))
    assert answer.status_code == 302, "the lock holds for the one device, not for everyone behind the proxy"
    recorded = []
    RequestContextMiddleware(lambda request: recorded.append(current_ip()))(
        RequestFactory().post("/", **_through_the_proxy("198.51.100.20")))
    assert recorded == ["198.51.100.20"], "what the audit trail records as the request's address"


def test_without_a_proxy_count_the_address_the_server_saw_is_taken(settings):
    from django.test import RequestFactory

    from core.middleware import client_ip

    request = RequestFactory().get("/", **_through_the_proxy("203.0.113.7"))
    settings.PROXY_COUNT = 0
    assert client_ip(request) == PROXY
    settings.PROXY_COUNT = 2
    assert client_ip(request) == PROXY, "fewer addresses than proxies: it did not come through them"
    settings.PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.7"
