"""Notices (通报): drafted from the month's figures, edited, published once to the units below a
target, shown on their home pages until they answer, and never changed after publishing."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from accounts.models import Role
from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.measures import Month
from notifications.models import Notification
from registry import services as registry_services
from supervision import services
from supervision.models import JobStatus, Notice, NoticeEntry, NoticeStatus
from tests.world import make_user

NOVEMBER = Month(date(2026, 11, 1))
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.fixture
def taken(world):
    registry_services.site_create(actor="test", division=world.node("甲市一区一街一社"), name="一社党群服务中心",
                                  kind="party_mass_centre", floor_area=Decimal(1600), ground_floor_area=Decimal(1600),
                                  property_class="state_admin", property_source="street_owned")
    services.snapshot_take(city=world.node("甲市"), month=NOVEMBER, now=datetime(2026, 11, 20, tzinfo=ZoneInfo("Asia/Shanghai")))
    return world


def _draft(world, **extra):
    return services.notice_draft(actor=world.users["supervisor"], issuer=world.node("甲市一区"), month=NOVEMBER, run=True, **extra)


@pytest.mark.django_db
class TestDrafting:
    def test_the_draft_names_the_units_below_each_target_furthest_first_with_the_rule(self, taken):
        notice = _draft(taken)
        area = NoticeEntry.objects.filter(notice=notice, indicator_key="supervision.indicator.1").order_by("rank")
        assert [(e.division.name, e.value) for e in area] == [("甲市一区二街", 0), ("甲市一区一街", Decimal("0.5"))]
        assert "全部达标" in area[0].rule and "甲市一区二街" in notice.body and "50%" in notice.body
        assert notice.status == NoticeStatus.DRAFT

    @pytest.mark.parametrize("role", ["street_admin", "community_worker"])
    def test_only_the_bureau_drafts(self, taken, role):
        with pytest.raises(PermissionDenied):
            services.notice_draft(actor=taken.users[role], issuer=taken.node("甲市一区"), month=NOVEMBER)

    def test_a_month_without_figures_or_a_level_not_below_is_refused(self, taken):
        with pytest.raises(ValidationFailed):
            services.notice_draft(actor=taken.users["supervisor"], issuer=taken.node("甲市一区"), month=NOVEMBER.previous())
        with pytest.raises(ValidationFailed):
            _draft(taken, unit_level="district")


@pytest.mark.django_db
class TestPublishing:
    def test_published_once_then_it_never_changes(self, taken):
        notice = _draft(taken)
        services.notice_update(actor=taken.users["supervisor"], notice=notice, title="关于11月社区用房工作的通报", body="经查……")
        services.notice_publish(actor=taken.users["supervisor"], notice=notice)
        assert notice.receipts.count() == 2
        assert Notification.objects.filter(user=taken.users["street_admin"], url=f"/supervision/notices/{notice.pk}/").exists()
        with pytest.raises(Conflict):
            services.notice_publish(actor=taken.users["supervisor"], notice=notice)
        with pytest.raises(Conflict):
            services.notice_update(actor=taken.users["supervisor"], notice=notice, title="改", body="改")
        notice.refresh_from_db()
        assert notice.title == "关于11月社区用房工作的通报"

    def test_a_blank_wording_is_refused_and_changes_nothing(self, taken):
        notice = _draft(taken)
        with pytest.raises(ValidationFailed):
            services.notice_update(actor=taken.users["supervisor"], notice=notice, title=" ", body="")
        notice.refresh_from_db()
        assert notice.title and notice.body

    def test_the_unit_answers_once_and_the_notice_leaves_its_home_page(self, client, taken):
        notice = services.notice_publish(actor=taken.users["supervisor"], notice=_draft(taken))
        client.force_login(taken.users["street_admin"])
        waiting = f'href="/supervision/notices/{notice.pk}/"'
        assert waiting in client.get("/", **ZH).content.decode()
        receipt = notice.receipts.get(division=taken.node("甲市一区一街"))
        response = client.post(f"/supervision/notices/{notice.pk}/answer/{receipt.pk}/", {"response": "已制定一社区一方案，12月底前完成。"})
        assert response.status_code == 302
        assert waiting not in client.get("/", **ZH).content.decode()
        assert client.post(f"/supervision/notices/{notice.pk}/answer/{receipt.pk}/", {"response": "再答"}).status_code == 409
        other = notice.receipts.get(division=taken.node("甲市一区二街"))
        assert client.post(f"/supervision/notices/{notice.pk}/answer/{other.pk}/", {"response": "越权"}).status_code == 404
        other.refresh_from_db()
        assert other.responded_at is None


@pytest.mark.django_db
class TestWhoReadsIt:
    def test_a_draft_is_the_bureaus_and_a_notice_is_read_only_where_it_names(self, client, taken):
        notice = _draft(taken)
        client.force_login(taken.users["street_admin"])
        assert client.get(f"/supervision/notices/{notice.pk}/").status_code == 404  # a draft
        services.notice_publish(actor=taken.users["supervisor"], notice=notice)
        assert client.get(f"/supervision/notices/{notice.pk}/", **ZH).status_code == 200
        elsewhere = make_user("street_admin_b", role=Role.STREET_ADMIN, division=taken.node("甲市二区一街"))
        client.force_login(elsewhere)
        assert client.get(f"/supervision/notices/{notice.pk}/").status_code == 404
        client.force_login(taken.users["city_supervisor"])
        assert client.get(f"/supervision/notices/{notice.pk}/").status_code == 200
        client.force_login(make_user("supervisor_b", role=Role.SUPERVISOR, division=taken.node("乙市")))
        assert client.get(f"/supervision/notices/{notice.pk}/").status_code == 404

    def test_the_bureau_drafts_from_the_page_and_sees_it_queued(self, client, taken):
        client.force_login(taken.users["supervisor"])
        page = client.get("/supervision/notices/", **ZH).content.decode()
        assert "2026-11" in page
        response = client.post("/supervision/notices/draft/", {"month": "2026-11", "unit_level": "street"})
        assert response.status_code == 302
        notice = Notice.objects.get()
        assert (notice.job_status, notice.month, notice.unit_level, notice.progress) == (JobStatus.QUEUED, NOVEMBER.since, "street", 0)
        assert not notice.entries.exists()
        detail = client.get(response["Location"], **ZH).content.decode()
        assert 'role="progressbar"' in detail and f'hx-get="/supervision/notices/{notice.pk}/"' in detail and "排队中" in detail
        assert "notice-title" not in detail  # nothing to edit or publish yet
