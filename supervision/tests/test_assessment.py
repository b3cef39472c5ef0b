"""The yearly target-responsibility assessment: points by the pack's scoring rule from the year's
figures, items by hand with evidence, a ranked result signed off and never changed again."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.measures import Month
from registry import services as registry_services
from supervision import selectors, services
from supervision.models import AssessmentStatus
from supervision.rules import ALL_OR_NOTHING, PROPORTIONAL

SHANGHAI = ZoneInfo("Asia/Shanghai")
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.mark.parametrize("value, target, direction, scoring, points", [
    (Decimal("0.5"), Decimal(1), "higher", PROPORTIONAL, Decimal("10.00")),
    (Decimal("1.2"), Decimal(1), "higher", PROPORTIONAL, Decimal("20.00")),  # never more than the weight
    (Decimal("0.5"), Decimal(1), "higher", ALL_OR_NOTHING, Decimal("0")),
    (Decimal(4), Decimal(2), "lower", PROPORTIONAL, Decimal("10.00")),
    (Decimal(4), Decimal(0), "lower", PROPORTIONAL, Decimal("0")),
    (Decimal(0), Decimal(0), "lower", ALL_OR_NOTHING, Decimal("20.00")),
    (None, Decimal(1), "higher", PROPORTIONAL, Decimal("0")),  # no figure scores nothing
])
def test_points_follow_the_scoring_rule(value, target, direction, scoring, points):
    assert services.points_for(value=value, target=target, weight=Decimal(20), direction=direction, scoring=scoring) == points


@pytest.fixture
def assessed(world):
    registry_services.site_create(actor="test", division=world.node("甲市一区一街一社"), name="一社党群服务中心",
                                  kind="party_mass_centre", floor_area=Decimal(1600), ground_floor_area=Decimal(1600),
                                  property_class="state_admin", property_source="street_owned")
    for month in (date(2026, 10, 1), date(2026, 11, 1)):
        services.snapshot_take(city=world.node("甲市"), month=Month(month), now=datetime(2026, 11, 20, tzinfo=SHANGHAI))
    return world


def _start(world, **extra):
    return services.assessment_start(actor=world.users["supervisor"], issuer=world.node("甲市一区"), year=2026,
                                     today=date(2026, 12, 2), run=True, **extra)


def _evidence():
    return SimpleUploadedFile("表彰文件.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")


@pytest.mark.django_db
class TestAssessment:
    def test_streets_are_scored_and_ranked_from_the_years_figures(self, assessed):
        assessment = _start(assessed)
        columns, units = selectors.assessment_results(user=assessed.users["supervisor"], assessment=assessment)
        assert [u.division.name for u in units] == ["甲市一区一街", "甲市一区二街"]  # 一街 has one community meeting the area
        area = next(i for i, (key, _t, _w) in enumerate(columns) if key == "supervision.indicator.1")
        first = units[0].scores[area]
        assert first.value == Decimal("0.5") and first.points == Decimal("10.00")  # half the target, half the weight (20)
        assert sum(w for _k, _t, w in columns) == 100

    def test_items_by_hand_need_evidence_and_count_in_the_total(self, assessed):
        assessment = _start(assessed)
        second = assessed.node("甲市一区二街")
        with pytest.raises(ValidationFailed):
            services.manual_item_add(actor=assessed.users["supervisor"], assessment=assessment, division=second, title="省级表彰",
                                     points=Decimal(5))
        services.manual_item_add(actor=assessed.users["supervisor"], assessment=assessment, division=second, title="省级表彰",
                                 points=Decimal(15), evidence=_evidence())
        _columns, units = selectors.assessment_results(user=assessed.users["supervisor"], assessment=assessment)
        assert units[0].division == second and units[0].manual == 15

    def test_signed_off_it_never_changes(self, assessed):
        assessment = services.assessment_sign(actor=assessed.users["supervisor"], assessment=_start(assessed))
        assert assessment.status == AssessmentStatus.SIGNED
        with pytest.raises(Conflict):
            services.manual_item_add(actor=assessed.users["supervisor"], assessment=assessment, division=assessed.node("甲市一区一街"),
                                     title="补加", points=Decimal(1), evidence=_evidence())
        with pytest.raises(Conflict):
            services.assessment_recompute(actor=assessed.users["supervisor"], assessment=assessment)
        with pytest.raises(Conflict):
            services.assessment_sign(actor=assessed.users["supervisor"], assessment=assessment)

    def test_bad_input_is_refused(self, assessed):
        with pytest.raises(PermissionDenied):
            services.assessment_start(actor=assessed.users["street_admin"], issuer=assessed.node("甲市一区"), year=2026)
        with pytest.raises(ValidationFailed):
            _start(assessed, unit_level="community")  # streets and towns, or districts
        with pytest.raises(ValidationFailed):
            services.assessment_start(actor=assessed.users["supervisor"], issuer=assessed.node("甲市一区"), year=2025,
                                      today=date(2026, 12, 2))  # no figures of 2025
        _start(assessed)
        with pytest.raises(Conflict):
            _start(assessed)

    def test_a_street_reads_its_own_row_and_the_pages_work(self, client, assessed):
        assessment = _start(assessed)
        client.force_login(assessed.users["street_admin"])
        page = client.get(f"/supervision/assessments/{assessment.pk}/", **ZH).content.decode()
        assert "甲市一区一街" in page and "甲市一区二街" not in page and "签署" not in page
        client.force_login(assessed.users["supervisor"])
        page = client.get(f"/supervision/assessments/{assessment.pk}/", **ZH).content.decode()
        assert "甲市一区二街" in page
        assert client.post(f"/supervision/assessments/{assessment.pk}/", {"action": "sign"}).status_code == 302
        assert client.get(f"/supervision/assessments/{assessment.pk}/?format=xlsx").status_code == 200
