"""What anyone may read without signing in, and what it must never show.

The authorization matrix skips public operations and pages (they are open by design); this file
checks each of them: it answers an anonymous visitor, and it shows nothing that is not public."""

import pytest
from django.utils import timezone

from funds import services as fund_services
from tests.test_authz_matrix import _is_public, api_operations, page_patterns
from tests.world import make_user

pytestmark = pytest.mark.django_db

# Every public operation and page, and how to call it here; a new one must be added.
PUBLIC_API = {"/api/v1/public/communities", "/api/v1/public/funds/{code}",
              # Signing in and signing up (throttled; accounts/tests checks them).
              "/api/v1/auth/tokens", "/api/v1/residents", "/api/v1/residents/phone-codes"}
PUBLIC_PAGES = {"funds/public/<str:code>/",
                # Open311 GeoReport v2: public requests by design, no names or phones (neighbourhood/tests).
                "open311/v2/services/<str:service_code>.json", "open311/v2/requests/<str:request_id>.json",
                "open311/v2/media/<int:request_id>",
                # A calendar feed: its signed token is the capability (scheduling/tests check forged ones).
                "scheduling/ical/<str:token>.ics"}


def test_the_public_surface_is_exactly_what_is_listed():
    api = {path for path, _method, operation in api_operations() if not operation.get("security")}
    pages = {route for route, pattern in page_patterns() if _is_public(pattern.callback) and "<" in route}
    assert api == PUBLIC_API and pages == PUBLIC_PAGES


def test_community_search_gives_names_and_codes_only(client, world):
    rows = client.get("/api/v1/public/communities", {"q": "甲市一区一街"}).json()["items"]
    assert rows and all(set(row) <= {"code", "name", "path_names", "street", "district"} for row in rows), rows[0]


def test_a_fund_disclosure_never_names_an_anonymous_donor(client, world):
    community = world.node("甲市一区一街一社")
    fund = fund_services.fund_create(actor="t", division=community, host=world.organisations["甲市一区慈善会"], led_by="一社党委")
    fund_services.income_record(actor="t", fund=fund, kind="public_donation", amount="50.00", donor_name="不愿具名的孙先生",
                                received_on=timezone.localdate(), receipt_no="票据-1", anonymous=True)
    make_user("someone")
    for url in (f"/api/v1/public/funds/{community.code}", f"/funds/public/{community.code}/"):
        response = client.get(url)
        assert response.status_code == 200 and "孙先生" not in response.content.decode() and "票据-1" not in response.content.decode()
    assert client.get("/api/v1/public/funds/350101001099").status_code == 404
