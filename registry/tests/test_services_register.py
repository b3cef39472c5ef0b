import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audit.models import AuditEvent
from core.errors import Conflict, ValidationFailed
from registry import selectors, services
from registry.models import Room, Site, StarRating
from tests.images import png_bytes

from .conftest import REQUIRED, make_site


def post(client, url, data):
    return client.post(url, data=json.dumps(data), content_type="application/json")


@pytest.mark.django_db
class TestSites:
    def test_a_site_gets_a_code_and_an_audit_event(self, world):
        site = make_site(world.node("甲市一区一街一社"))
        assert site.code == "350101001001-S01"
        assert make_site(world.node("甲市一区一街一社"), name="第二处").code == "350101001001-S02"
        assert AuditEvent.objects.filter(action="registry.site.created", target_id=str(site.pk)).exists()

    @pytest.mark.parametrize("changes, field", [
        ({"ground_floor_area": Decimal("1000")}, "ground_floor_area"),
        ({"lease_start": date(2026, 5, 1), "lease_end": date(2026, 1, 1), "property_source": "leased",
          "owner_name": "某公司", "annual_rent": Decimal("1")}, "lease_end"),
        ({"property_class": "mixed", "state_share": Decimal("60"), "collective_share": Decimal("30")}, "state_share"),
        ({"property_source": "borrowed"}, "owner_name"),
        ({"property_class": "state_admin", "state_share": Decimal("50"), "collective_share": Decimal("50")}, "state_share"),
    ])
    def test_impossible_property_or_areas_are_refused(self, world, changes, field):
        community = world.node("甲市一区一街一社")
        data = {"name": "某中心", "kind": "party_mass_centre", "floor_area": Decimal("900"), "property_class": "state_admin",
                "property_source": "street_owned", **changes}
        with pytest.raises(ValidationFailed) as refused:
            services.site_create(actor="t", division=community, **data)
        assert field in refused.value.fields
        assert not Site.objects.exists()

    def test_a_site_cannot_shrink_below_its_rooms(self, world):
        site = make_site(world.node("甲市一区一街一社"), area="300", ground="100")
        services.room_create(actor="t", site=site, name="大厅", area=Decimal("250"))
        with pytest.raises(ValidationFailed):
            services.site_update(actor="t", site=site, data={"floor_area": Decimal("200")})


@pytest.mark.django_db
class TestRooms:
    def test_a_room_larger_than_its_site_is_refused(self, world):
        site = make_site(world.node("甲市一区一街一社"), area="300", ground="100")
        with pytest.raises(ValidationFailed) as refused:
            services.room_create(actor="t", site=site, name="大厅", area=Decimal("301"))
        assert "area" in refused.value.fields

    def test_rooms_together_cannot_exceed_the_site(self, world):
        site = make_site(world.node("甲市一区一街一社"), area="300", ground="100")
        services.room_create(actor="t", site=site, name="一", area=Decimal("200"))
        with pytest.raises(ValidationFailed):
            services.room_create(actor="t", site=site, name="二", area=Decimal("150"))
        assert Room.objects.count() == 1

    def test_a_duplicate_room_name_is_a_conflict(self, world):
        site = make_site(world.node("甲市一区一街一社"))
        services.room_create(actor="t", site=site, name="调解室", area=Decimal("20"))
        with pytest.raises(Conflict):
            services.room_create(actor="t", site=site, name="调解室", area=Decimal("20"))

    def test_functions_come_from_the_citys_catalogue_by_code_or_name(self, world):
        site = make_site(world.node("甲市一区一街一社"))
        room = services.room_create(actor="t", site=site, name="食堂", area=Decimal("80"), functions=["elderly_canteen", "居民会客厅"])
        assert set(room.functions.values_list("code", flat=True)) == {"elderly_canteen", "residents_lounge"}
        with pytest.raises(ValidationFailed):
            services.room_create(actor="t", site=site, name="别的", area=Decimal("10"), functions=["spaceport"])

    def test_the_api_parses_opening_hours_as_people_write_them(self, client, world):
        site = make_site(world.node("甲市一区一街一社"))
        client.force_login(world.users["community_worker"])
        response = post(client, f"/api/v1/registry/sites/{site.pk}/rooms", {
            "name": "多功能室", "area": "60", "capacity": 40, "equipment": ["投影仪"],
            "opening_hours": "周一至周五 08:30-12:00、14:00-17:30；周六 09:00-12:00", "functions": ["sports_room"]})
        assert response.status_code == 201, response.content
        assert response.json()["opening_hours"] == "周一至周五 08:30-12:00、14:00-17:30；周六 09:00-12:00"
        bad = post(client, f"/api/v1/registry/sites/{site.pk}/rooms", {"name": "x", "area": "10", "opening_hours": "每天 25:00-26:00"})
        assert bad.status_code == 422 and "opening_hours" in bad.json()["fields"]

    def test_a_community_worker_may_add_rooms_but_not_sites(self, client, world):
        client.force_login(world.users["community_worker"])
        response = post(client, "/api/v1/registry/sites", {
            "division_code": world.node("甲市一区一街一社").code, "name": "x", "kind": "other", "floor_area": "10",
            "property_class": "state_admin", "property_source": "street_owned"})
        assert response.status_code == 403

    def test_bad_input_through_the_api_is_a_422_that_writes_nothing(self, client, world):
        client.force_login(world.users["street_admin"])
        for body in ({"floor_area": "-5"}, {"floor_area": "999999999"}, {"property_class": "royal"}):
            response = post(client, "/api/v1/registry/sites", {
                "division_code": world.node("甲市一区一街一社").code, "name": "x", "kind": "other", "floor_area": "10",
                "property_class": "state_admin", "property_source": "street_owned", **body})
            assert response.status_code == 422, body
        assert not Site.objects.exists()


@pytest.mark.django_db
class TestPhotosAndCosts:
    def test_a_photo_is_stored_and_served_to_the_scope_only(self, client, world, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        site = make_site(world.node("甲市一区一街一社"))
        client.force_login(world.users["community_worker"])
        response = client.post(f"/api/v1/registry/sites/{site.pk}/photos", {"image": SimpleUploadedFile("a.png", png_bytes(), "image/png"), "caption": "正门"})
        assert response.status_code == 201, response.content
        url = response.json()["url"]
        assert client.get(url).status_code == 200
        client.force_login(world.users["resident_b"])
        assert client.get(url).status_code == 404

    def test_a_file_that_is_not_a_photo_is_refused(self, client, world, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        site = make_site(world.node("甲市一区一街一社"))
        client.force_login(world.users["community_worker"])
        response = client.post(f"/api/v1/registry/sites/{site.pk}/photos", {"image": SimpleUploadedFile("a.png", b"%PDF-1.4 not an image", "image/png")})
        assert response.status_code == 422
        assert not site.photos.exists()

    def test_costs_are_recorded_with_who_paid(self, client, world):
        site = make_site(world.node("甲市一区一街一社"))
        client.force_login(world.users["street_admin"])
        response = post(client, f"/api/v1/registry/sites/{site.pk}/costs", {"year": 2026, "category": "renovation", "amount": "600000", "paid_by": "operator"})
        assert response.status_code == 201
        assert response.json()["amount"] == "600000.00"
        assert post(client, f"/api/v1/registry/sites/{site.pk}/costs", {"year": 2026, "category": "rent", "amount": "0", "paid_by": "street"}).status_code == 422


@pytest.mark.django_db
class TestLeases:
    def test_leases_ending_within_the_warning_period_are_listed(self, client, world):
        today = timezone.localdate()
        community = world.node("甲市一区一街一社")
        for name, days in (("快到期", 30), ("已到期", -3), ("还早", 200)):
            make_site(community, name=name, kind="service_station", property_source="leased", owner_name="某公司",
                      lease_start=today - timedelta(days=400), lease_end=today + timedelta(days=days), annual_rent=Decimal("1000"))
        leases = selectors.leases_expiring(user=world.users["street_admin"], within=world.node("甲市一区一街"))
        assert [(lease.site.name, lease.days_left, lease.expired) for lease in leases] == [("已到期", -3, True), ("快到期", 30, False)]
        client.force_login(world.users["street_admin"])
        body = client.get(f"/api/v1/registry/leases/expiring?within={world.node('甲市一区一街').code}").json()
        assert [item["site_name"] for item in body] == ["已到期", "快到期"]


@pytest.mark.django_db
class TestStarRating:
    def test_a_centre_is_rated_and_rerated_when_its_rooms_change(self, compliant_community, django_capture_on_commit_callbacks):
        centre = compliant_community.sites.get(kind="party_mass_centre")
        first = services.star_rating_recompute(site=centre)
        assert first.stars >= 1 and first.details[0]["indicator"] == "floor_area"
        with django_capture_on_commit_callbacks(execute=True):
            services.room_create(actor="t", site=centre, name="托育室", area=Decimal("100"), functions=REQUIRED[2:7])
        current = StarRating.objects.get(site=centre, is_current=True)
        assert current.score > first.score
        assert StarRating.objects.filter(site=centre).count() == 2  # the history is kept

    def test_evidence_moves_the_score(self, compliant_community, world):
        centre = compliant_community.sites.get(kind="party_mass_centre")
        before = services.star_rating_recompute(site=centre)
        services.star_evidence_record(actor=world.users["supervisor"], site=centre, criterion="resident_satisfaction",
                                      score=Decimal("0.9"), evidence="随机抽访居民30户", assessed_on=timezone.localdate())
        after = services.star_rating_recompute(site=centre)
        assert after.score == before.score + Decimal("13.50")

    def test_sites_of_other_kinds_are_not_rated(self, world):
        canteen = make_site(world.node("甲市一区一街一社"), kind="elderly_canteen")
        assert services.star_rating_recompute(site=canteen) is None
