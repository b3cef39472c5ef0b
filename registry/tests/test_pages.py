from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from registry import services
from registry.models import Room, Site

from .conftest import make_site


@pytest.mark.django_db
class TestRegistryPages:
    def test_the_street_page_ranks_communities_and_lists_ending_leases(self, client, compliant_community, world, django_assert_max_num_queries):
        today = timezone.localdate()
        make_site(world.node("甲市一区一街二社"), name="租来的站", kind="service_station", area="200", ground="200",
                  property_source="leased", owner_name="某公司", lease_start=today - timedelta(days=300),
                  lease_end=today + timedelta(days=20), annual_rent=Decimal("12000"))
        client.force_login(world.users["street_admin"])
        with django_assert_max_num_queries(40):
            response = client.get(f"/registry/{world.node('甲市一区一街').code}/")
        page = response.content.decode()
        assert response.status_code == 200
        assert "甲市一区一街二社" in page and "租来的站" in page
        assert "甲市一区二街" not in page

    def test_the_root_opens_at_the_users_division(self, client, world):
        client.force_login(world.users["community_worker"])
        response = client.get("/registry/")
        assert response["Location"] == f"/registry/{world.node('甲市一区一街一社').code}/"

    def test_a_street_administrator_registers_a_site_and_a_room_on_the_pages(self, client, world):
        client.force_login(world.users["street_admin"])
        community = world.node("甲市一区一街二社")
        response = client.post(f"/registry/{community.code}/sites/new/", {
            "name": "二社党群服务中心", "kind": "party_mass_centre", "floors": 2, "floor_area": "850", "ground_floor_area": "500",
            "independent_entrance": "on", "parking_spaces": 4, "square_area": "0", "opening_hours": "周一至周五 08:30-17:30",
            "property_class": "state_admin", "property_source": "street_owned"})
        assert response.status_code == 302, response.content.decode()[:3000]
        site = Site.objects.get(name="二社党群服务中心")
        assert site.opening_hours["5"] == [["08:30", "17:30"]]
        response = client.post(f"/registry/sites/{site.pk}/rooms/new/", {
            "name": "调解室", "floor": 1, "area": "30", "capacity": 8, "use": "service", "functions": ["mediation_room"],
            "equipment": "录音设备、白板"})
        assert response.status_code == 302
        room = Room.objects.get(site=site)
        assert room.equipment == ["录音设备", "白板"] and list(room.functions.values_list("code", flat=True)) == ["mediation_room"]
        detail = client.get(f"/registry/sites/{site.pk}/").content.decode()
        assert "调解室" in detail and "录音设备" in detail

    def test_a_site_form_shows_the_services_refusal(self, client, world):
        client.force_login(world.users["street_admin"])
        community = world.node("甲市一区一街二社")
        response = client.post(f"/registry/{community.code}/sites/new/", {
            "name": "租来的", "kind": "service_station", "floors": 1, "floor_area": "100", "ground_floor_area": "50",
            "parking_spaces": 0, "square_area": "0", "property_class": "state_admin", "property_source": "leased",
            "lease_start": "2026-05-01", "lease_end": "2026-01-01"})
        assert response.status_code == 200
        assert "invalid-feedback" in response.content.decode()
        assert not Site.objects.exists()

    def test_the_compliance_page_and_its_excel_export(self, client, compliant_community, world):
        client.force_login(world.users["supervisor"])
        district = world.node("甲市一区")
        page = client.get(f"/registry/{district.code}/compliance/?failing=1").content.decode()
        assert "甲市一区二街一社" in page and "甲市一区一街一社</a>" not in page
        response = client.post("/excel/registry.compliance/export/", {"within": district.code})
        assert response.status_code == 302

    def test_the_rule_pack_page_shows_sources_and_only_the_city_edits(self, client, world):
        client.force_login(world.users["street_admin"])
        page = client.get("/rules/").content.decode()
        assert "海宁市" in page and "1500 m²" in page and "Haining" not in page
        assert client.get("/rules/rule/registry.community_service_area/").status_code == 403
        client.force_login(world.users["city_supervisor"])
        assert client.get("/rules/rule/registry.community_service_area/").status_code == 200

    def test_the_project_page_records_consent(self, client, world):
        project = services.provision_project_create(actor=world.users["street_admin"], community=world.node("甲市一区一街一社"),
                                                    name="云璟府", developer="某公司", land_parcel="P1", households=900, method="provide")
        client.force_login(world.users["community_worker"])
        response = client.post(f"/registry/projects/{project.pk}/", {
            "sign-party": "community", "sign-document_no": "社意1号", "sign-signed_on": str(timezone.localdate()), "sign-signer": "李"})
        assert response.status_code == 302
        assert project.sign_offs.get().document_no == "社意1号"
