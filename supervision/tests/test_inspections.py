"""Double random inspections: a reproducible draw from a recorded seed that never sends inspectors
to their own units, and a checklist at the site whose wrong items become rectification items."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Role
from core.errors import Conflict, PermissionDenied, ValidationFailed
from supervision import services
from supervision.models import Inspection, Rectification
from tests.images import png_bytes
from tests.world import make_user

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.fixture
def pool(world):
    """The supervisors of 甲市 and 甲市一区, the street admin of 甲市一区一街, and one of 甲市一区二街."""
    other = make_user("street_admin_b", role=Role.STREET_ADMIN, division=world.node("甲市一区二街"))
    return [world.users["city_supervisor"], world.users["supervisor"], world.users["street_admin"], other]


def _draw(world, pool, **extra):
    values = {"actor": world.users["supervisor"], "issuer": world.node("甲市一区"), "title": "第四季度双随机检查",
              "community_count": 3, "inspectors_per_community": 2, "pool": pool, "seed": "20261202", **extra}
    return services.campaign_draw(**values)


def _drawn(campaign):
    return [(i.community.code, sorted(u.pk for u in i.inspectors.all())) for i in campaign.inspections.order_by("order")]


@pytest.mark.django_db
class TestTheDraw:
    def test_the_same_seed_draws_the_same_list_and_the_page_says_so(self, client, world, pool):
        campaign = _draw(world, pool)
        again = services.draw(
            communities=list(campaign.issuer.__class__.objects.filter(path__startswith=campaign.issuer.path, level="community")
                             .values_list("pk", "code", "path")),
            inspectors=services.inspectors_of(pool), count=3, per_community=2, seed="20261202")
        assert [(c, sorted(u)) for c, u in again] == [(i.community_id, ids) for i, (_code, ids) in
                                                       zip(campaign.inspections.order_by("order"), _drawn(campaign), strict=True)]
        client.force_login(world.users["supervisor"])
        page = client.get(f"/supervision/inspections/{campaign.pk}/?check=1", **ZH).content.decode()
        assert "20261202" in page and "同样的名单" in page

    def test_nobody_is_drawn_for_their_own_street(self, world, pool):
        own_street = world.node("甲市一区一街").path
        for seed in ("1", "2", "3", "4", "5", "6"):
            campaign = _draw(world, pool, seed=seed, community_count=4)
            for inspection in campaign.inspections.select_related("community"):
                if inspection.community.path.startswith(own_street):
                    assert world.users["street_admin"] not in inspection.inspectors.all()

    def test_too_small_a_pool_or_too_many_communities_is_refused(self, world, pool):
        with pytest.raises(ValidationFailed):
            _draw(world, pool[2:], inspectors_per_community=2)  # the two street admins: each is of one street's units
        with pytest.raises(ValidationFailed):
            _draw(world, pool, community_count=99)
        assert not Inspection.objects.exists()

    def test_only_the_bureau_draws(self, world, pool):
        with pytest.raises(PermissionDenied):
            _draw(world, pool, actor=world.users["street_admin"])


@pytest.mark.django_db
class TestTheChecklist:
    def _answers(self, wrong=("use",), **extra):
        items = ["area", "functions", "sign", "hours", "use", "ledger", "safety"]
        return {code: {"passed": code not in wrong, "note": "活动室被出租作仓库" if code in wrong else "", **extra} for code in items}

    def test_wrong_items_become_rectification_items_for_the_community(self, world, pool):
        inspection = _draw(world, pool).inspections.order_by("order").first()
        inspector = inspection.inspectors.first()
        photo = SimpleUploadedFile("现场.png", png_bytes(), content_type="image/png")
        answers = self._answers()
        answers["use"]["photo"] = photo
        services.inspection_submit(actor=inspector, inspection=inspection, answers=answers)
        item = Rectification.objects.get()
        assert item.division == inspection.community and item.source == "inspection" and "出租" in item.title
        assert inspection.findings.get(item_code="use").photo.name.endswith(".jpg")
        with pytest.raises(Conflict):
            services.inspection_submit(actor=inspector, inspection=inspection, answers=self._answers())

    def test_a_wrong_item_needs_what_was_found_and_only_the_inspectors_fill_it_in(self, world, pool):
        inspection = _draw(world, pool).inspections.order_by("order").first()
        inspector = inspection.inspectors.first()
        answers = self._answers()
        answers["use"]["note"] = ""
        with pytest.raises(ValidationFailed):
            services.inspection_submit(actor=inspector, inspection=inspection, answers=answers)
        outsider = next(u for u in pool if not inspection.inspectors.filter(pk=u.pk).exists())
        with pytest.raises(PermissionDenied):
            services.inspection_submit(actor=outsider, inspection=inspection, answers=self._answers())
        assert not inspection.findings.exists()

    def test_the_inspector_fills_it_in_on_the_page(self, client, world, pool):
        inspection = _draw(world, pool).inspections.order_by("order").first()
        client.force_login(inspection.inspectors.first())
        assert "第四季度双随机检查" in client.get("/", **ZH).content.decode()
        form = {f"{code}-passed": "yes" for code in ("area", "functions", "sign", "hours", "use", "ledger", "safety")}
        form["safety-passed"], form["safety-note"] = "no", "消防通道堆放杂物"
        assert client.post(f"/supervision/inspections/site/{inspection.pk}/", form).status_code == 302
        page = client.get(f"/supervision/inspections/site/{inspection.pk}/", **ZH).content.decode()
        assert "消防通道堆放杂物" in page and "整改事项" in page
