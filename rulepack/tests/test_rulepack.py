import pytest

from audit.models import AuditEvent
from core.errors import ValidationFailed
from rulepack import selectors
from rulepack.models import RulePack
from rulepack.services import default_pack_content, parse_pack, rulepack_ensure, rulepack_load


@pytest.mark.django_db
class TestDefaultPack:
    def test_every_rule_cites_a_named_document(self, world):
        pack = rulepack_ensure(city=world.node("甲市"))
        tags = set(pack.sources.values_list("tag", flat=True))
        assert {"Huli", "Xishan", "Haining", "Zibo", "Quanzhou"} <= tags
        shorts = dict(pack.sources.values_list("tag", "short"))
        assert {tag: shorts[tag] for tag in ("Huli", "Haining", "Zibo", "Xishan", "Quanzhou")} == {
            "Huli": "湖里区", "Haining": "海宁市", "Zibo": "淄博市", "Xishan": "西山区", "Quanzhou": "泉州市"}
        for rule in pack.rules.select_related("source"):
            assert rule.source.tag in tags
            assert rule.citation, rule.key

    def test_the_standards_of_the_seeds_are_in_it(self, world):
        city = world.node("甲市")
        assert selectors.rule(division=city, key="registry.community_service_area").params["min_m2"] == 1500
        assert selectors.rule(division=city, key="registry.centre_area").params["min_m2"] == 800
        assert selectors.rule(division=city, key="registry.ground_floor_share").params["min_share"] == 0.5
        provision = selectors.rule(division=city, key="registry.new_project_area").params
        assert (provision["per_100_households_m2"], provision["min_m2"]) == (50, 300)
        assert selectors.param(division=city, key="registry.monetisation_payment_days") == 30

    def test_a_community_reads_its_citys_pack(self, world):
        community = world.node("甲市一区一街一社")
        assert selectors.active_pack(division=community).city == world.node("甲市")

    def test_the_function_catalogue_is_loaded_for_the_city(self, world):
        from registry.models import Function

        rulepack_ensure(city=world.node("甲市"))
        required = set(Function.objects.filter(city=world.node("甲市"), requirement="required").values_list("code", flat=True))
        assert {"elderly_canteen", "childcare", "health_station", "women_children_station", "elderly_care"} <= required


@pytest.mark.django_db
class TestLoadingAPack:
    def test_a_city_changes_a_threshold_without_code(self, world):
        city = world.node("甲市")
        first = rulepack_ensure(city=city)
        content = default_pack_content().replace('version = "2026.4"', 'version = "2026.5"').replace("min_m2 = 1500", "min_m2 = 1800")
        second = rulepack_load(actor=world.users["city_supervisor"], city=city, content=content, note="提高标准")
        assert selectors.rule(division=world.node("甲市一区"), key="registry.community_service_area").params["min_m2"] == 1800
        first.refresh_from_db()
        assert not first.is_active and second.is_active
        assert RulePack.objects.filter(city=city).count() == 2
        assert AuditEvent.objects.filter(action="rulepack.pack.loaded", actor=world.users["city_supervisor"]).exists()

    def test_a_rule_of_an_existing_kind_can_be_added(self, world):
        city = world.node("甲市")
        content = default_pack_content() + '''
[[rules]]
key = "registry.canteen_area"
kind = "site_area_min"
title = "长者食堂面积不少于100平方米"
source = "platform"
[rules.params]
min_m2 = 100
site_kinds = ["elderly_canteen"]
'''
        rulepack_load(actor="t", city=city, content=content)
        assert selectors.rule(division=city, key="registry.canteen_area").title == "长者食堂面积不少于100平方米"

    @pytest.mark.parametrize("old, new, message", [
        ('kind = "site_area_min"', 'kind = "flying_carpet"', "未知类型 flying_carpet"),
        ("min_m2 = 1500", 'min_m2 = "many"', "“最低面积”须为数字。"),
        ("min_m2 = 1500", "min_m2 = -5", "“最低面积”应在0 m²至100000 m²之间。"),
        ("min_share = 0.5", "min_share = 5", "“底层面积不少于”应在0%至100%之间。"),
        ('site_kinds = ["party_mass_centre"]', 'site_kinds = ["castle"]', "“计入的场所类型”中有不在可选范围内的值：castle"),
        ('functions = ["service_window"]', 'functions = ["bowling_alley"]', "“或设有以下功能用房”中有不在可选范围内的值：bowling_alley"),
        ("min_members = 3", "min_members = 2", "“委员不少于”应在3 人至50 人之间。"),
        ('source = "Haining"', 'source = "Nowhere"', "Nowhere"),
        ('key = "registry.centre_area"', 'key = "registry.community_service_area"', "出现了两次"),
    ])
    def test_mistakes_are_refused_and_nothing_changes(self, world, old, new, message):
        city = world.node("甲市")
        before = rulepack_ensure(city=city)
        content = default_pack_content().replace(old, new, 1)
        assert content != default_pack_content()
        with pytest.raises(ValidationFailed) as refused:
            rulepack_load(actor="t", city=city, content=content)
        assert message in " ".join(refused.value.fields["content"])
        assert RulePack.objects.get(city=city, is_active=True) == before

    def test_a_file_that_is_not_toml_says_where(self, world):
        with pytest.raises(ValidationFailed) as refused:
            parse_pack('version = "1"\n[[rules]\n')
        assert "TOML" in refused.value.fields["content"][0] or "line" in refused.value.fields["content"][0]

    def test_only_the_citys_supervisor_loads_a_pack(self, client, world):
        import json

        city = world.node("甲市")
        client.force_login(world.users["supervisor"])  # a district's supervisor: the city is above their scope
        response = client.post("/api/v1/rule-packs", data=json.dumps({"city_code": city.code, "content": default_pack_content()}),
                               content_type="application/json")
        assert response.status_code in (403, 404)
        client.force_login(world.users["city_supervisor"])
        response = client.post("/api/v1/rule-packs", data=json.dumps({"city_code": city.code, "content": default_pack_content()}),
                               content_type="application/json")
        assert response.status_code == 201, response.content
        assert len(response.json()["rules"]) >= 13


@pytest.mark.django_db
def test_a_parameter_missing_from_a_citys_older_pack_is_read_from_the_default_pack(world):
    community = world.node("甲市一区一街一社")
    selectors.active_pack(division=community).rules.filter(key="operations.report_due_day").delete()
    selectors._RULES_BY_PACK.clear()  # as a pack loaded before the rule existed
    assert selectors.rule(division=community, key="operations.report_due_day") is None
    assert selectors.param(division=community, key="operations.report_due_day") == 10
    assert selectors.param(division=community, key="operations.report_due_day", default=7) == 7
    assert selectors.default_pack_values()["operations.report_due_day"] == 10
