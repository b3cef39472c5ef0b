"""Signs and plaques (挂牌) and their clean-up [Huli]: the city's list, removal with a photo, counts."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audit.models import AuditEvent
from core.errors import Conflict, ValidationFailed
from org import services as org_services
from registry import selectors, services
from registry.models import Sign
from tests.images import png_bytes

from .conftest import make_site


def photo():
    return SimpleUploadedFile("removed.png", png_bytes(), content_type="image/png")


def department(world, name="区某局", kind="department"):
    return org_services.organisation_create(actor="test", name=name, kind=kind, home_division=world.node("甲市一区"),
                                            served_divisions=[world.node("甲市一区")])


@pytest.fixture
def site(world):
    return make_site(world.node("甲市一区一街一社"))


@pytest.mark.django_db
class TestTheCitysList:
    def test_a_sign_on_the_list_is_allowed_and_any_other_is_redundant(self, world, site):
        allowed = services.sign_record(actor="test", site=site, text="甲市一区一街一社居民委员会")
        party = services.sign_record(actor="test", site=site, text="中国共产党甲市一区一街一社委员会")
        other = services.sign_record(actor="test", site=site, text="某某协会服务站", department=department(world))
        assert allowed.allowed and party.allowed and not other.allowed
        assert other.issuer == "区某局"

    def test_a_city_without_a_list_calls_no_sign_redundant(self):
        assert services.sign_allowed(text="某某协会服务站", names=[])
        assert not services.sign_allowed(text="某某协会服务站", names=["*居民委员会"])

    def test_the_issuer_is_a_government_department_or_written_out(self, world, site):
        charity = department(world, "某基金会", "charity")
        with pytest.raises(ValidationFailed) as refused:
            services.sign_record(actor="test", site=site, text="某某牌子", department=charity)
        assert "department" in refused.value.fields
        assert services.sign_record(actor="test", site=site, text="某某牌子", department_name="市某办").issuer == "市某办"

    def test_the_same_sign_twice_at_a_site_is_refused(self, world, site):
        services.sign_record(actor="test", site=site, text="某某牌子")
        with pytest.raises(Conflict):
            services.sign_record(actor="test", site=site, text="某某  牌子")

    def test_a_sign_hung_in_the_future_is_refused(self, world, site):
        with pytest.raises(ValidationFailed):
            services.sign_record(actor="test", site=site, text="某某牌子", hung_on=timezone.localdate() + timedelta(days=1))


@pytest.mark.django_db
class TestRemoval:
    def test_removing_without_a_photo_is_refused_and_writes_nothing(self, world, site):
        sign = services.sign_record(actor="test", site=site, text="某某协会服务站")
        events = AuditEvent.objects.count()
        with pytest.raises(ValidationFailed) as refused:
            services.sign_remove(actor=world.users["community_worker"], sign=sign, photo=None)
        assert "photo" in refused.value.fields
        sign.refresh_from_db()
        assert sign.removed_on is None and AuditEvent.objects.count() == events

    def test_a_removal_records_the_photo_the_day_and_who(self, world, site):
        worker = world.users["community_worker"]
        sign = services.sign_record(actor="test", site=site, text="某某协会服务站")
        day = timezone.localdate() - timedelta(days=2)
        services.sign_remove(actor=worker, sign=sign, photo=photo(), removed_on=day, note="已摘除")
        sign.refresh_from_db()
        assert sign.removed_on == day and sign.removed_by == worker and sign.removal_photo.name.endswith(".jpg")
        assert AuditEvent.objects.filter(action="registry.sign.removed", target_id=str(sign.pk)).exists()
        with pytest.raises(Conflict):
            services.sign_remove(actor=worker, sign=sign, photo=photo())

    def test_a_removal_in_the_future_or_before_the_sign_was_hung_is_refused(self, world, site):
        sign = services.sign_record(actor="test", site=site, text="某某协会服务站", hung_on=timezone.localdate() - timedelta(days=5))
        for day in (timezone.localdate() + timedelta(days=1), timezone.localdate() - timedelta(days=6)):
            with pytest.raises(ValidationFailed):
                services.sign_remove(actor="test", sign=sign, photo=photo(), removed_on=day)

    def test_the_database_refuses_a_removal_without_a_photo(self, world, site):
        from django.db import IntegrityError, transaction

        sign = services.sign_record(actor="test", site=site, text="某某协会服务站")
        with pytest.raises(IntegrityError), transaction.atomic():
            Sign.objects.filter(pk=sign.pk).update(removed_on=timezone.localdate())


@pytest.mark.django_db
class TestCleanups:
    def test_a_cleanup_is_run_by_a_street_or_a_district_one_at_a_time(self, world):
        supervisor = world.users["supervisor"]
        with pytest.raises(ValidationFailed):
            services.sign_cleanup_start(actor=supervisor, division=world.node("甲市一区一街一社"), title="清理")
        services.sign_cleanup_start(actor=supervisor, division=world.node("甲市一区一街"), title="清理")
        with pytest.raises(Conflict):
            services.sign_cleanup_start(actor=supervisor, division=world.node("甲市一区一街"), title="再清理")

    def test_a_cleanup_judges_the_signs_by_the_list_in_force_and_counts_its_removals(self, world, site):
        admin = world.users["street_admin"]
        sign = services.sign_record(actor="test", site=site, text="某某协会服务站")
        stale = services.sign_record(actor="test", site=site, text="甲市一区一街一社居民委员会")
        Sign.objects.filter(pk=stale.pk).update(allowed=False)  # judged under an older list
        other = services.sign_record(actor="test", site=make_site(world.node("甲市一区一街二社")), text="某某工作站")
        cleanup = services.sign_cleanup_start(actor=admin, division=world.node("甲市一区一街"), title="精简挂牌")
        stale.refresh_from_db()
        assert stale.allowed
        services.sign_remove(actor=admin, sign=sign, photo=photo())
        sign.refresh_from_db()
        assert sign.cleanup == cleanup
        remaining, removed = selectors.cleanup_signs(user=admin, cleanup=cleanup)
        assert list(remaining) == [other] and list(removed) == [sign]
        rows, total = selectors.sign_counts(user=world.users["city_supervisor"], within=world.node("甲市一区一街"))
        assert (total.removed, total.remaining, total.allowed) == (1, 1, 1)
        assert {r.division.name: (r.removed, r.remaining) for r in rows} == {"甲市一区一街一社": (1, 0), "甲市一区一街二社": (0, 1)}
        rows, total = selectors.sign_counts(user=world.users["city_supervisor"], within=world.node("甲市一区"))
        assert [(r.division.name, r.removed, r.remaining) for r in rows] == [("甲市一区一街", 1, 1)]
        services.sign_cleanup_close(actor=admin, cleanup=cleanup)
        assert AuditEvent.objects.get(action="registry.sign_cleanup.closed").changes == {"removed": 1, "remaining": 1}

    def test_signs_are_out_of_reach_of_another_street(self, world, site):
        services.sign_record(actor="test", site=site, text="某某协会服务站")
        assert not selectors.sign_list(user=world.users["street_admin"], within=None).exclude(
            site__division__path__startswith=world.node("甲市一区一街").path).exists()
        rows, total = selectors.sign_counts(user=world.users["street_admin"], within=world.node("甲市一区"))
        assert total.redundant == 1
