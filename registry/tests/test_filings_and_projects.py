from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from core.errors import Conflict, PermissionDenied, ValidationFailed
from ledger.selectors import balance_from_legs
from registry import selectors, services
from registry.models import ProvisionStage, RegistryFiling, SignOffParty

from .conftest import make_site


@pytest.mark.django_db
class TestFilings:
    def test_a_filing_freezes_the_register_and_the_diff_shows_what_changed(self, compliant_community, world):
        street = world.node("甲市一区一街")
        first = services.registry_file(actor=world.users["street_admin"], street=street, note="一季度")
        assert first.summary["sites"] == 2 and first.summary["rooms"] == 3
        centre = compliant_community.sites.get(kind="party_mass_centre")
        services.site_update(actor="t", site=centre, data={"floor_area": Decimal("950")})
        services.room_create(actor="t", site=centre, name="自习室", area=Decimal("30"))
        make_site(world.node("甲市一区一街二社"), name="二社中心")
        second = services.registry_file(actor=world.users["street_admin"], street=street, note="二季度")
        diff = selectors.filing_diff(first, second)
        assert [s["name"] for s in diff["sites_added"]] == ["二社中心"]
        assert diff["sites_changed"][0]["changes"]["floor_area"] == ["900.00", "950.00"]
        assert [r["name"] for r in diff["rooms_added"]] == ["自习室"]
        assert first.sha256 != second.sha256

    def test_the_filing_page_names_what_changed_in_words(self, client, compliant_community, world):
        street = world.node("甲市一区一街")
        first = services.registry_file(actor=world.users["street_admin"], street=street)
        services.site_update(actor="t", site=compliant_community.sites.get(kind="party_mass_centre"), data={"floor_area": Decimal("950")})
        second = services.registry_file(actor=world.users["street_admin"], street=street)
        client.force_login(world.users["street_admin"])
        page = client.get(f"/registry/filings/{second.pk}/?against={first.pk}", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert "900.00 → 950.00" in page and "floor_area" not in page

    def test_a_filing_cannot_be_changed(self, world):
        filing = services.registry_file(actor=world.users["street_admin"], street=world.node("甲市一区一街"))
        with pytest.raises(RuntimeError):
            filing.save()
        with pytest.raises(RuntimeError):
            filing.delete()

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="the immutability trigger exists on PostgreSQL only")
    def test_the_database_refuses_to_change_a_filing(self, world):
        from django.db import DatabaseError, transaction

        filing = services.registry_file(actor=world.users["street_admin"], street=world.node("甲市一区一街"))
        with pytest.raises(DatabaseError), transaction.atomic():
            RegistryFiling.objects.filter(pk=filing.pk).update(note="changed")

    def test_the_bureau_sees_the_streets_filings_but_the_neighbour_street_does_not(self, client, world):
        filing = services.registry_file(actor=world.users["street_admin"], street=world.node("甲市一区一街"))
        client.force_login(world.users["supervisor"])
        assert [f["id"] for f in client.get("/api/v1/registry/filings").json()["items"]] == [filing.pk]
        other_admin = __import__("tests.world", fromlist=["make_user"]).make_user(
            "admin_two", role="street_admin", division=world.node("甲市一区二街"))
        client.force_login(other_admin)
        assert client.get(f"/api/v1/registry/filings/{filing.pk}").status_code == 404


def _sign_stage(project, world, signers):
    for party, user in signers.items():
        services.provision_sign_off(actor=user, project=project, party=party, document_no=f"{party}-1",
                                    signed_on=timezone.localdate(), signer=user.username)


@pytest.mark.django_db
class TestNewResidentialProjects:
    def signers(self, world):
        return {SignOffParty.CIVIL_AFFAIRS: world.users["supervisor"], SignOffParty.STREET: world.users["street_admin"],
                SignOffParty.COMMUNITY: world.users["community_worker"]}

    def test_the_required_area_follows_the_rule(self, world):
        community = world.node("甲市一区一街一社")
        assert services.provision_required_area(division=community, households=400) == Decimal("300")  # the minimum
        assert services.provision_required_area(division=community, households=1000) == Decimal("500.00")

    def test_monetisation_is_refused_where_the_community_is_short(self, world):
        with pytest.raises(Conflict):
            services.provision_project_create(actor=world.users["street_admin"], community=world.node("甲市一区一街二社"),
                                              name="某府", developer="某公司", land_parcel="P1", households=800,
                                              method="monetise", presale_price=Decimal("20000"))

    def test_stages_open_when_all_three_parties_consent(self, world):
        project = services.provision_project_create(actor=world.users["street_admin"], community=world.node("甲市一区一街一社"),
                                                    name="某府", developer="某公司", land_parcel="P1", households=800, method="provide")
        signers = self.signers(world)
        services.provision_sign_off(actor=signers[SignOffParty.STREET], project=project, party=SignOffParty.STREET,
                                    document_no="街1", signed_on=timezone.localdate(), signer="陈")
        project.refresh_from_db()
        assert project.stage == ProvisionStage.DESIGN_REVIEW
        with pytest.raises(Conflict):
            services.provision_sign_off(actor=signers[SignOffParty.STREET], project=project, party=SignOffParty.STREET,
                                        document_no="街1", signed_on=timezone.localdate(), signer="陈")
        with pytest.raises(PermissionDenied):  # a street administrator cannot sign for civil affairs
            services.provision_sign_off(actor=signers[SignOffParty.STREET], project=project, party=SignOffParty.CIVIL_AFFAIRS,
                                        document_no="民1", signed_on=timezone.localdate(), signer="陈")
        for party in (SignOffParty.CIVIL_AFFAIRS, SignOffParty.COMMUNITY):
            services.provision_sign_off(actor=signers[party], project=project, party=party, document_no="x",
                                        signed_on=timezone.localdate(), signer="x")
        project.refresh_from_db()
        assert project.stage == ProvisionStage.PRELIMINARY_DESIGN

    def test_delivery_needs_every_stage_and_enough_area(self, world):
        project = services.provision_project_create(actor=world.users["street_admin"], community=world.node("甲市一区一街一社"),
                                                    name="某府", developer="某公司", land_parcel="P1", households=800, method="provide")
        with pytest.raises(Conflict):
            services.provision_delivery_file(actor="t", project=project, delivery_filed_on=timezone.localdate(), provided_area=Decimal("500"))
        for _ in range(4):
            _sign_stage(project, world, self.signers(world))
        project.refresh_from_db()
        assert project.stage == ProvisionStage.DONE
        with pytest.raises(ValidationFailed):
            services.provision_delivery_file(actor="t", project=project, delivery_filed_on=timezone.localdate(), provided_area=Decimal("350"))
        services.provision_delivery_file(actor="t", project=project, delivery_filed_on=timezone.localdate(), provided_area=Decimal("420"))

    def test_monetisation_money_falls_due_in_30_days_and_lands_in_the_earmarked_account(self, compliant_community, world):
        today = timezone.localdate()
        project = services.provision_project_create(actor=world.users["street_admin"], community=compliant_community,
                                                    name="滨江壹号", developer="某公司", land_parcel="P2", households=900,
                                                    method="monetise", presale_price=Decimal("20000"))
        assert project.required_area == Decimal("450.00") and project.monetisation_amount == Decimal("9000000.00")
        for _ in range(4):
            _sign_stage(project, world, self.signers(world))
        services.provision_delivery_file(actor="t", project=project, delivery_filed_on=today - timedelta(days=40))
        project.refresh_from_db()
        assert project.payment_due_on == today - timedelta(days=10)
        assert list(selectors.provision_overdue(user=world.users["street_admin"])) == [project]
        with pytest.raises(ValidationFailed):
            services.provision_payment_record(actor=world.users["street_admin"], project=project, paid_on=today,
                                              amount=Decimal("100"), document_no="凭证1")
        services.provision_payment_record(actor=world.users["street_admin"], project=project, paid_on=today,
                                          amount=Decimal("9000000.00"), document_no="凭证1")
        account = services.street_earmarked_account(street=world.node("甲市一区一街"))
        assert account.balance == balance_from_legs(account) == Decimal("9000000.00")
        assert not selectors.provision_overdue(user=world.users["street_admin"]).exists()
        with pytest.raises(Conflict):
            services.provision_payment_record(actor=world.users["street_admin"], project=project, paid_on=today,
                                              amount=Decimal("9000000.00"), document_no="凭证2")

    def test_rent_from_idle_rooms_goes_to_the_earmarked_account(self, client, world):
        import json

        client.force_login(world.users["street_admin"])
        street = world.node("甲市一区一街")
        response = client.post(f"/api/v1/registry/earmarked/{street.code}/rents", data=json.dumps(
            {"amount": "36000", "received_on": str(timezone.localdate()), "document_no": "租金2026-1", "payer": "便民维修店"}),
            content_type="application/json")
        assert response.status_code == 201, response.content
        assert response.json()["balance"] == "36000.00"
        client.force_login(world.users["community_worker"])
        assert client.get(f"/api/v1/registry/earmarked/{street.code}").status_code in (403, 404)
