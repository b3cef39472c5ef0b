import pytest

from tests.world import PASSWORD


@pytest.mark.django_db
class TestSignInPage:
    def test_a_wrong_password_says_so_in_chinese(self, client, world):
        response = client.post("/accounts/login/", {"username": "street_admin_a", "password": "nope"})
        assert response.status_code == 200
        assert "用户名或密码不正确" in response.content.decode()

    def test_five_failures_show_the_lockout_page_saying_how_long_the_lock_lasts(self, client, world, settings):
        from datetime import timedelta

        settings.AXES_COOLOFF_TIME = timedelta(minutes=30)
        for _ in range(5):
            client.post("/accounts/login/", {"username": "street_admin_a", "password": "nope"})
        response = client.post("/accounts/login/", {"username": "street_admin_a", "password": PASSWORD})
        assert response.status_code == 429 and response["Retry-After"] == "1800"
        assert "该账号在本设备上已锁定 30 分钟" in response.content.decode()

    def test_a_resident_signs_in_with_their_phone(self, client, world):
        from tests.world import make_user

        make_user("someone", phone="13600000000", role="resident", division=world.node("甲市一区一街一社"))
        response = client.post("/accounts/login/", {"username": "13600000000", "password": PASSWORD})
        assert response.status_code == 302


@pytest.mark.django_db
class TestSignUpPage:
    def test_the_community_picker_finds_communities_by_name(self, client, world):
        response = client.get("/accounts/sign-up/communities/?q=一街二社")
        page = response.content.decode()
        assert 'data-community-code="350101001002"' in page and "甲市一区一街二社" in page

    def test_the_code_button_texts_a_code(self, client, world, django_capture_on_commit_callbacks):
        from accounts.sms import MemoryBackend

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/accounts/sign-up/code/", {"phone": "13912345678"})
        assert response.status_code == 200
        assert MemoryBackend.outbox[-1][0] == "13912345678"
        refused = client.post("/accounts/sign-up/code/", {"phone": "123"})
        assert refused.status_code == 422


@pytest.mark.django_db
class TestPeoplePage:
    def test_a_street_administrator_opens_an_account_for_a_colleague(self, client, world):
        from accounts.models import RoleAssignment

        client.force_login(world.users["street_admin"])
        response = client.post("/accounts/people/", {
            "account-username": "colleague", "account-display_name": "同事", "account-password": "a-long-password-1",
            "account-role": "community_worker", "account-division_code": world.node("甲市一区一街二社").code,
        })
        assert response.status_code == 302
        assert RoleAssignment.objects.filter(user__username="colleague", division=world.node("甲市一区一街二社")).exists()

    def test_granting_outside_the_street_is_refused_on_the_form(self, client, world):
        from accounts.models import RoleAssignment

        client.force_login(world.users["street_admin"])
        response = client.post("/accounts/people/", {
            "grant-person": world.users["resident_b"].pk, "grant-role": "community_worker",
            "grant-division_code": world.node("甲市一区二街一社").code,
        })
        assert response.status_code == 200
        assert "请从列表中选择您辖区内的行政区划。" in response.content.decode()
        assert not RoleAssignment.objects.filter(user__username="resident_b", role="community_worker").exists()
