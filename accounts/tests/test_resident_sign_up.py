import json
import re

import pytest
from django.utils import timezone

from accounts.models import PhoneVerification, User
from accounts.sms import MemoryBackend


def post(client, url, data):
    return client.post(url, data=json.dumps(data), content_type="application/json")


def last_code() -> str:
    return re.search(r"\d{6}", MemoryBackend.outbox[-1][1]).group()


@pytest.mark.django_db(transaction=True)
class TestResidentSignUp:
    def test_a_resident_signs_up_with_a_texted_code(self, client, world):
        community = world.node("甲市一区一街二社")
        assert post(client, "/api/v1/residents/phone-codes", {"phone": "13912345678"}).status_code == 202
        assert MemoryBackend.outbox[-1][0] == "13912345678"
        response = post(client, "/api/v1/residents", {
            "phone": "13912345678", "code": last_code(), "password": "my-own-password-1", "display_name": "王阿姨",
            "community_code": community.code,
        })
        assert response.status_code == 201, response.content
        user = User.objects.get(phone="13912345678")
        assert user.check_password("my-own-password-1") and user.phone_verified_at is not None
        assert [(r["role"], r["division_code"]) for r in response.json()["roles"]] == [("resident", community.code)]

    def test_a_wrong_code_counts_and_signs_nobody_up(self, client, world):
        post(client, "/api/v1/residents/phone-codes", {"phone": "13912345678"})
        response = post(client, "/api/v1/residents", {
            "phone": "13912345678", "code": "000000" if last_code() != "000000" else "111111",
            "password": "my-own-password-1", "display_name": "王", "community_code": world.node("甲市一区一街二社").code,
        })
        assert response.status_code == 422
        assert "code" in response.json()["fields"]
        assert not User.objects.filter(phone="13912345678").exists()
        assert PhoneVerification.objects.get().attempts == 1

    def test_a_second_code_within_a_minute_is_refused(self, client, world):
        post(client, "/api/v1/residents/phone-codes", {"phone": "13912345678"})
        again = post(client, "/api/v1/residents/phone-codes", {"phone": "13912345678"})
        assert again.status_code == 429
        assert len(MemoryBackend.outbox) == 1

    def test_the_codes_validity_and_the_wait_for_another_come_from_the_settings(self, client, world, settings):
        settings.PHONE_CODE_TTL_MINUTES, settings.PHONE_CODE_RESEND_SECONDS = 3, 30
        before = timezone.now()
        post(client, "/api/v1/residents/phone-codes", {"phone": "13912345678"})
        verification = PhoneVerification.objects.get()
        assert timezone.timedelta(minutes=3) <= verification.expires_at - before < timezone.timedelta(minutes=3, seconds=5)
        assert "3 分钟内有效" in MemoryBackend.outbox[-1][1]
        again = post(client, "/api/v1/residents/phone-codes", {"phone": "13912345678"})
        assert again.status_code == 429 and "未满30秒" in again.json()["message"]
        PhoneVerification.objects.update(created_at=timezone.now() - timezone.timedelta(seconds=31))
        assert post(client, "/api/v1/residents/phone-codes", {"phone": "13912345678"}).status_code == 202

    def test_a_bad_phone_number_is_refused(self, client, world):
        response = post(client, "/api/v1/residents/phone-codes", {"phone": "12345"})
        assert response.status_code == 422
        assert "phone" in response.json()["fields"]

    def test_an_expired_code_is_refused(self, client, world):
        post(client, "/api/v1/residents/phone-codes", {"phone": "13912345678"})
        code = last_code()
        PhoneVerification.objects.update(expires_at=timezone.now() - timezone.timedelta(minutes=1))
        response = post(client, "/api/v1/residents", {
            "phone": "13912345678", "code": code, "password": "my-own-password-1", "display_name": "王",
            "community_code": world.node("甲市一区一街二社").code,
        })
        assert response.status_code == 422

    def test_only_a_community_can_be_joined(self, client, world):
        post(client, "/api/v1/residents/phone-codes", {"phone": "13912345678"})
        response = post(client, "/api/v1/residents", {
            "phone": "13912345678", "code": last_code(), "password": "my-own-password-1", "display_name": "王",
            "community_code": world.node("甲市一区一街").code,
        })
        assert response.status_code == 422
        assert "community_code" in response.json()["fields"]

    def test_a_registered_phone_cannot_sign_up_again(self, client, world):
        from tests.world import make_user

        make_user("old", phone="13912345678")
        post(client, "/api/v1/residents/phone-codes", {"phone": "13912345678"})
        response = post(client, "/api/v1/residents", {
            "phone": "13912345678", "code": last_code(), "password": "my-own-password-1", "display_name": "王",
            "community_code": world.node("甲市一区一街二社").code,
        })
        assert response.status_code == 409

    def test_signing_in_with_the_phone_number_works(self, client, world):
        from tests.world import PASSWORD, make_user

        make_user("phone_person", phone="13700000000")
        response = post(client, "/api/v1/auth/tokens", {"username": "13700000000", "password": PASSWORD})
        assert response.status_code == 201
