"""Monthly figures: measures added up the tree, taken again while the month runs, closed after it,
never rewritten once closed; and the indicators of the pack, checked when the pack is loaded."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from core.errors import Conflict, ValidationFailed
from core.measures import MEASURES, Month
from registry import services as registry_services
from rulepack.services import default_pack_content, rulepack_load
from supervision import selectors, services
from supervision.models import Snapshot

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOVEMBER = Month(date(2026, 11, 1))


def _site(community, *, area: str):
    return registry_services.site_create(
        actor="test", division=community, name=f"{community.name}党群服务中心", kind="party_mass_centre",
        floor_area=Decimal(area), ground_floor_area=Decimal(area), property_class="state_admin",
        property_source="street_owned")


def _figure(division, code, month=NOVEMBER):
    row = Snapshot.objects.get(division=division, measure=code, month=month.since)
    return row.numerator, row.denominator, row.counted


def test_a_rate_above_its_level_is_the_sum_over_the_sum_not_a_mean_of_rates():
    paths = {1: "c/", 2: "c/d/", 3: "c/d/s/", 4: "c/d/s/a/", 5: "c/d/s/b/"}
    ids = {path: pk for pk, path in paths.items()}
    totals = services.roll_up({4: (Decimal(1), Decimal(4)), 5: (Decimal(3), Decimal(4))}, paths, ids)
    assert totals[3] == [Decimal(4), Decimal(8), 2] and totals[1] == [Decimal(4), Decimal(8), 2]
    assert totals[4] == [Decimal(1), Decimal(4), 1]
    sums = services.roll_up({4: (Decimal(2), None), 5: (Decimal(5), None)}, paths, ids)
    assert sums[2] == [Decimal(7), None, 2]


@pytest.mark.django_db
class TestTakingAMonth:
    def test_every_measure_of_every_division_is_taken_and_added_up(self, world):
        passing = world.node("甲市一区一街一社")
        _site(passing, area="1600")
        _site(world.node("甲市一区一街二社"), area="300")
        city = world.node("甲市")
        written = services.snapshot_take(city=city, month=NOVEMBER, now=datetime(2026, 11, 20, 9, tzinfo=SHANGHAI))
        assert written == Snapshot.objects.count() > 0
        assert {row for row in Snapshot.objects.values_list("measure", flat=True).distinct()} <= set(MEASURES)
        assert _figure(passing, "registry.area_compliance") == (1, 1, 1)
        assert _figure(world.node("甲市一区一街"), "registry.area_compliance") == (1, 2, 2)
        assert _figure(city, "registry.area_compliance") == (1, 8, 8)  # every community of 甲市 is judged
        assert not Snapshot.objects.filter(division__path__startswith=world.node("乙市").path).exists()

    def test_a_running_month_is_taken_again_and_a_closed_one_never(self, world):
        city = world.node("甲市")
        services.snapshot_take(city=city, month=NOVEMBER, now=datetime(2026, 11, 20, 9, tzinfo=SHANGHAI))
        assert not Snapshot.objects.filter(final=True).exists()
        _site(world.node("甲市一区一街一社"), area="1600")  # the register changes before the month closes
        services.snapshot_take(city=city, month=NOVEMBER, now=datetime(2026, 12, 6, 9, tzinfo=SHANGHAI))  # five days after the month: closed
        assert Snapshot.objects.filter(month=NOVEMBER.since).exclude(final=True).count() == 0
        assert _figure(city, "registry.area_compliance")[0] == 1
        _site(world.node("甲市一区一街二社"), area="1600")
        with pytest.raises(Conflict):
            services.snapshot_take(city=city, month=NOVEMBER, now=datetime(2026, 12, 9, tzinfo=SHANGHAI))
        assert _figure(city, "registry.area_compliance")[0] == 1  # what was closed stays as it was

    def test_the_clock_closes_last_month_after_its_days_and_takes_the_running_month_once_a_day(self, world):
        morning = datetime(2026, 12, 6, 1, tzinfo=SHANGHAI)  # the pack closes a month five days after it ends
        done = services.snapshots_due(morning)
        assert "2026-11" in done and "2026-12" in done
        assert Snapshot.objects.filter(month=NOVEMBER.since, final=True).exists()
        assert services.snapshots_due(datetime(2026, 12, 6, 15, tzinfo=SHANGHAI)) == ""
        assert "2026-12" in services.snapshots_due(datetime(2026, 12, 7, 0, 30, tzinfo=SHANGHAI))

    def test_only_a_whole_city_is_taken(self, world):
        with pytest.raises(Conflict):
            services.snapshot_take(city=world.node("甲市一区"), month=NOVEMBER)


@pytest.mark.django_db
class TestIndicatorsInThePack:
    def _load(self, world, old: str, new: str):
        content = default_pack_content()
        assert old in content
        rulepack_load(actor="test", city=world.node("甲市"), content=content.replace(old, new, 1))

    def test_the_default_pack_has_dated_cited_indicators(self, world):
        found = selectors.indicators(division=world.node("甲市"))
        area = next(i for i in found if i.measure.code == "registry.area_compliance")
        assert area.target == 1 and area.due == date(2023, 12, 31) and "全部达标" in area.citation
        assert {i.measure.code for i in found} <= set(MEASURES)
        stars = next(i for i in found if i.measure.code == "neighbourhood.satisfaction")
        assert stars.target == 4 and stars.unit == "stars"

    @pytest.mark.parametrize("old, new, words", [
        ('measure = "registry.area_compliance"', 'measure = "registry.no_such_measure"', "统计项"),
        ("target_share = 1.0\ndue = \"2023-12-31\"", 'due = "2023-12-31"', "比率"),
        ('due = "2023-12-31"', 'due = "2023年底"', "2025-12-31"),
        # a rate in stars is not a share: its target is a number of stars
        ('measure = "neighbourhood.satisfaction"\ndirection = "higher"\ntarget = 4',
         'measure = "neighbourhood.satisfaction"\ndirection = "higher"\ntarget_share = 0.8', "数值"),
    ])
    def test_an_indicator_that_refers_to_nothing_or_has_no_target_is_refused_in_chinese(self, world, old, new, words):
        from django.utils import translation

        from rulepack.models import RulePack

        city = world.node("甲市")
        before = list(RulePack.objects.filter(city=city).values_list("pk", "is_active"))
        with translation.override("zh-hans"), pytest.raises(ValidationFailed) as refused:
            self._load(world, old, new)
        assert words in str(refused.value.fields), refused.value.fields
        assert list(RulePack.objects.filter(city=city).values_list("pk", "is_active")) == before  # nothing was loaded
