"""Rectification items and one community, one plan: opened from a finding, answered with evidence
by the unit, verified from above; a plan only for a standard the community misses, closed only
when the register shows it met."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.errors import Conflict, PermissionDenied, ValidationFailed
from registry import services as registry_services
from supervision import services
from supervision.models import PlanStatus, RectificationStatus

TODAY = date(2026, 12, 2)
AREA_RULE = "registry.community_service_area"


def _site(community, area: str):
    return registry_services.site_create(actor="test", division=community, name=f"{community.name}中心{area}", kind="party_mass_centre",
                                         floor_area=Decimal(area), ground_floor_area=Decimal(area), property_class="state_admin",
                                         property_source="street_owned")


def _open(world, **extra):
    values = {"actor": world.users["street_admin"], "division": world.node("甲市一区一街一社"), "source": "standard",
              "title": "补足社区服务用房面积", "owner": world.users["community_worker"], "deadline": TODAY + timedelta(days=30),
              "today": TODAY, **extra}
    return services.rectification_open(**values)


@pytest.mark.django_db
class TestRectification:
    def test_opened_answered_with_evidence_and_closed_from_above(self, world):
        item = _open(world)
        pdf = SimpleUploadedFile("验收单.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
        services.rectification_answer(actor=world.users["community_worker"], item=item, response="已置换闲置用房200平方米", evidence=pdf)
        item.refresh_from_db()
        assert item.status == RectificationStatus.ANSWERED and item.evidence.name.endswith(".pdf")
        with pytest.raises(PermissionDenied):  # the unit does not verify its own answer
            services.rectification_verify(actor=world.users["community_worker"], item=item, accepted=True)
        services.rectification_verify(actor=world.users["street_admin"], item=item, accepted=True)
        item.refresh_from_db()
        assert item.status == RectificationStatus.CLOSED and item.closed_at is not None

    def test_returned_with_a_reason_and_answered_again(self, world):
        item = _open(world)
        services.rectification_answer(actor=world.users["community_worker"], item=item, response="已整改")
        with pytest.raises(ValidationFailed):
            services.rectification_verify(actor=world.users["street_admin"], item=item, accepted=False)
        services.rectification_verify(actor=world.users["street_admin"], item=item, accepted=False, note="缺少验收照片")
        item.refresh_from_db()
        assert item.status == RectificationStatus.OPEN and item.returned == 1
        services.rectification_answer(actor=world.users["community_worker"], item=item, response="补交验收照片")
        with pytest.raises(Conflict):
            services.rectification_answer(actor=world.users["community_worker"], item=item, response="再答")

    @pytest.mark.parametrize("extra, field", [
        ({"deadline": TODAY - timedelta(days=1)}, "deadline"),
        ({"title": "  "}, "title"),
        ({"source": "gossip"}, "source"),
    ])
    def test_bad_input_is_refused_and_nothing_is_written(self, world, extra, field):
        from supervision.models import Rectification

        with pytest.raises(ValidationFailed) as refused:
            _open(world, **extra)
        assert field in refused.value.fields and not Rectification.objects.exists()

    def test_the_person_responsible_is_of_the_unit_and_a_neighbour_street_cannot_open(self, world):
        with pytest.raises(ValidationFailed):
            _open(world, owner=world.users["resident"])
        with pytest.raises(PermissionDenied):
            _open(world, division=world.node("甲市一区二街一社"))


@pytest.mark.django_db
class TestPlans:
    def _plan(self, world, **extra):
        values = {"actor": world.users["street_admin"], "community": world.node("甲市一区一街一社"), "rule_key": AREA_RULE,
                  "measures": "置换街道闲置办公用房，新建党群服务中心二楼", "today": TODAY,
                  "milestones": [{"title": "完成置换协议", "owner": world.users["community_worker"], "due": TODAY + timedelta(days=20)},
                                 {"title": "完成装修验收", "owner": world.users["street_admin"], "due": TODAY + timedelta(days=90)}],
                  **extra}
        return services.plan_create(**values)

    def test_a_plan_closes_only_when_the_register_shows_the_standard_met(self, world):
        community = world.node("甲市一区一街一社")
        _site(community, "600")
        plan = self._plan(world)
        assert plan.milestones.count() == 2 and plan.rule_title
        with pytest.raises(ValidationFailed) as refused:
            services.plan_close(actor=world.users["street_admin"], plan=plan)
        assert "甲市一区一街一社" in str(refused.value.message)
        _site(community, "1000")  # 1,600 m² in all
        services.plan_close(actor=world.users["street_admin"], plan=plan)
        plan.refresh_from_db()
        assert plan.status == PlanStatus.CLOSED

    def test_no_plan_for_a_standard_met_nor_twice_for_the_same(self, world):
        _site(world.node("甲市一区一街一社"), "1600")
        with pytest.raises(ValidationFailed):
            self._plan(world)

    def test_a_second_plan_in_progress_for_the_same_standard_is_refused(self, world):
        self._plan(world)
        with pytest.raises(Conflict):
            self._plan(world)

    def test_outside_ones_scope_or_with_a_milestone_in_the_past_is_refused(self, world):
        from supervision.models import Plan

        with pytest.raises(PermissionDenied):
            self._plan(world, community=world.node("甲市一区二街一社"))
        with pytest.raises(ValidationFailed) as refused:
            self._plan(world, milestones=[{"title": "拖延", "owner": world.users["community_worker"], "due": TODAY - timedelta(days=1)}])
        assert "milestones.1.due" in refused.value.fields and not Plan.objects.exists()

    def test_a_milestone_is_marked_done_by_its_owner(self, world):
        plan = self._plan(world)
        first = plan.milestones.order_by("due").first()
        with pytest.raises(PermissionDenied):
            services.milestone_done(actor=world.users["resident"], milestone=first)
        services.milestone_done(actor=world.users["community_worker"], milestone=first)
        first.refresh_from_db()
        assert first.done_at is not None


ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.mark.django_db
class TestPages:
    def test_opened_answered_and_verified_through_the_pages(self, client, world):
        community = world.node("甲市一区一街一社")
        client.force_login(world.users["street_admin"])
        assert "下达整改事项" in client.get("/supervision/rectifications/", **ZH).content.decode()
        deadline = (date.today() + timedelta(days=30)).isoformat()
        response = client.post("/supervision/rectifications/new/", {
            "division": community.code, "source": "standard", "source_text": "面积不足1500平方米", "title": "补足用房面积",
            "owner": world.users["community_worker"].pk, "deadline": deadline})
        assert response.status_code == 302
        url = response["Location"]
        client.force_login(world.users["community_worker"])
        page = client.get(url, **ZH).content.decode()
        assert "反馈整改情况" in page and "验收" not in page.split("反馈整改情况")[0][-200:]
        photo = SimpleUploadedFile("现场.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
        assert client.post(url, {"action": "answer", "response": "已置换用房", "evidence": photo}).status_code == 302
        assert client.post(url, {"action": "verify", "accepted": "yes"}).status_code == 404  # not the unit's to verify
        client.force_login(world.users["street_admin"])
        assert "提交验收" not in client.get(url, **ZH).content.decode()
        assert client.post(url, {"action": "verify", "accepted": "yes", "verification": "现场核实"}).status_code == 302
        assert "已验收销号" in client.get(url, **ZH).content.decode()
        assert client.get(f"{url}evidence").status_code == 200

    def test_a_deadline_in_the_past_is_refused_on_the_page_in_chinese(self, client, world):
        client.force_login(world.users["street_admin"])
        response = client.post("/supervision/rectifications/new/", {
            "division": world.node("甲市一区一街一社").code, "source": "standard", "title": "补足用房面积",
            "owner": world.users["community_worker"].pk, "deadline": "2020-01-01"}, **ZH)
        assert response.status_code == 422 and "整改时限不能早于今天" in response.content.decode()

    def test_a_plan_is_drawn_up_on_its_page_with_pickers(self, client, world):
        community = world.node("甲市一区一街一社")
        client.force_login(world.users["street_admin"])
        form = client.get("/supervision/plans/new/", **ZH).content.decode()
        assert "社区服务用房总面积不少于1500平方米" in form and "节点1" in form
        response = client.post("/supervision/plans/new/", {
            "community": community.code, "rule_key": AREA_RULE, "measures": "置换闲置用房",
            "m1_title": "签订置换协议", "m1_owner": world.users["community_worker"].pk, "m1_due": (date.today() + timedelta(days=10)).isoformat()})
        assert response.status_code == 302
        page = client.get(response["Location"], **ZH).content.decode()
        assert "签订置换协议" in page and "用房台账显示仍未达标" in page
