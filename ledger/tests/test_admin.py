import pytest
from django.urls import reverse

from accounts.models import User
from ledger.models import Leg

from .helpers import donate

MODELS = ["account", "transaction", "leg"]


@pytest.fixture
def root(db):
    return User.objects.create_superuser(username="root", password="x-long-password-1")


@pytest.mark.django_db
class TestLedgerAdmin:
    def test_system_administrators_read_every_register(self, client, books, root):
        posted = donate(books, "10.00", document="收据-ADMIN-1")
        client.force_login(root)
        for model in MODELS:
            response = client.get(reverse(f"admin:ledger_{model}_changelist"))
            assert response.status_code == 200, model
            assert f'href="{reverse(f"admin:ledger_{model}_add")}"' not in response.content.decode()
        page = client.get(reverse("admin:ledger_transaction_change", args=[posted.pk])).content.decode()
        assert "收据-ADMIN-1" in page and books.fund.code in page
        assert 'name="_save"' not in page  # read-only

    def test_nothing_can_be_added_changed_or_deleted(self, client, books, root):
        posted = donate(books, "10.00")
        leg = posted.legs.first()
        client.force_login(root)
        assert client.get(reverse("admin:ledger_transaction_add")).status_code == 403
        assert client.post(reverse("admin:ledger_leg_change", args=[leg.pk]), {"amount": "99.00"}).status_code == 403
        assert client.post(reverse("admin:ledger_leg_delete", args=[leg.pk]), {"post": "yes"}).status_code == 403
        leg.refresh_from_db()
        assert Leg.objects.filter(pk=leg.pk, amount=leg.amount).exists()

    @pytest.mark.parametrize("role", ["supervisor", "street_admin", "charity_staff", "fund_committee"])
    def test_other_roles_do_not_see_the_ledger_yet(self, client, books, world, role):
        user = world.users[role]
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        client.force_login(user)
        for model in MODELS:
            assert client.get(reverse(f"admin:ledger_{model}_changelist")).status_code == 403, (role, model)
        assert b"ledger" not in client.get(reverse("admin:index")).content
