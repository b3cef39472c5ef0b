import json

import pytest
from django.utils import timezone

from accounts.models import ApiToken
from tests.world import PASSWORD


def post(client, url, data, **extra):
    return client.post(url, data=json.dumps(data), content_type="application/json", **extra)


@pytest.mark.django_db
class TestTokens:
    def test_a_token_is_issued_for_a_right_password_and_works(self, client, world):
        response = post(client, "/api/v1/auth/tokens", {"username": "street_admin_a", "password": PASSWORD, "name": "脚本"})
        assert response.status_code == 201, response.content
        token = response.json()["token"]
        assert token.startswith("ll_") and response.json()["prefix"] == token[:8]
        stored = ApiToken.objects.get()
        assert token not in (stored.digest, stored.prefix)  # only a digest is kept
        me = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert me.status_code == 200 and me.json()["username"] == "street_admin_a"
        assert me.json()["roles"][0]["role"] == "street_admin"

    def test_a_wrong_password_gets_no_token(self, client, world):
        response = post(client, "/api/v1/auth/tokens", {"username": "street_admin_a", "password": "nope"})
        assert response.status_code == 401
        assert response.json()["code"] == "sign_in_failed"
        assert not ApiToken.objects.exists()

    def test_five_failures_lock_the_account_for_that_address(self, client, world, settings):
        from datetime import timedelta

        settings.AXES_COOLOFF_TIME = timedelta(hours=1)
        for _ in range(5):
            post(client, "/api/v1/auth/tokens", {"username": "street_admin_a", "password": "nope"})
        locked = post(client, "/api/v1/auth/tokens", {"username": "street_admin_a", "password": PASSWORD})
        assert locked.status_code == 429 and locked["Retry-After"] == "3600"
        assert locked.json()["code"] == "rate_limited" and locked.json()["message"] == "登录失败次数过多，请 1 小时后再试。"
        assert not ApiToken.objects.exists()

    def test_a_revoked_or_expired_token_is_refused(self, client, world):
        raw = post(client, "/api/v1/auth/tokens", {"username": "street_admin_a", "password": PASSWORD}).json()["token"]
        token = ApiToken.objects.get()
        token.expires_at = timezone.now() - timezone.timedelta(seconds=1)
        token.save()
        assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
        token.expires_at = timezone.now() + timezone.timedelta(days=1)
        token.revoked_at = timezone.now()
        token.save()
        response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"

    def test_a_user_revokes_their_own_token_only(self, client, world):
        mine = post(client, "/api/v1/auth/tokens", {"username": "street_admin_a", "password": PASSWORD}).json()
        client.force_login(world.users["supervisor"])
        assert client.delete(f"/api/v1/auth/tokens/{mine['id']}").status_code == 404
        client.force_login(world.users["street_admin"])
        assert client.delete(f"/api/v1/auth/tokens/{mine['id']}").status_code == 204
        assert ApiToken.objects.get().revoked_at is not None

    def test_session_writes_need_the_csrf_token(self, world):
        from django.test import Client

        strict = Client(enforce_csrf_checks=True)
        strict.force_login(world.users["street_admin"])
        response = strict.patch(f"/api/v1/divisions/{world.node('甲市一区一街一社').code}",
                                data=json.dumps({"population": 1}), content_type="application/json")
        assert response.status_code == 403


@pytest.mark.django_db
class TestRoleAssignmentsApi:
    def test_a_street_administrator_opens_an_account_for_a_community_worker(self, client, world):
        client.force_login(world.users["street_admin"])
        response = post(client, "/api/v1/staff-accounts", {
            "username": "new_worker", "display_name": "新同事", "password": "a-long-password-1",
            "role": "community_worker", "division_code": world.node("甲市一区一街二社").code,
        })
        assert response.status_code == 201, response.content
        assert response.json()["division_name"] == "甲市一区一街二社"

    def test_a_street_administrator_cannot_make_a_supervisor(self, client, world):
        client.force_login(world.users["street_admin"])
        response = post(client, "/api/v1/role-assignments", {
            "username": "resident_b", "role": "supervisor", "division_code": world.node("甲市一区一街").code,
        })
        assert response.status_code == 403

    def test_a_role_at_the_wrong_level_is_refused(self, client, world):
        client.force_login(world.users["supervisor"])
        response = post(client, "/api/v1/role-assignments", {
            "username": "resident_b", "role": "street_admin", "division_code": world.node("甲市一区一街一社").code,
        })
        assert response.status_code == 422
        assert "division" in response.json()["fields"]

    def test_revoking_a_role_keeps_the_record(self, client, world):
        client.force_login(world.users["supervisor"])
        assignment = world.users["resident_b"].role_assignments.get()
        response = client.post(f"/api/v1/role-assignments/{assignment.pk}/revoke")
        assert response.status_code == 200
        assert response.json()["revoked_at"] is not None
        listed = client.get("/api/v1/role-assignments?include_revoked=true&role=resident").json()
        assert any(item["id"] == assignment.pk for item in listed["items"])

    def test_listing_role_assignments_has_a_fixed_query_count(self, client, world, django_assert_max_num_queries):
        client.force_login(world.users["city_supervisor"])
        with django_assert_max_num_queries(8):
            body = client.get("/api/v1/role-assignments").json()
        assert body["count"] >= 7
