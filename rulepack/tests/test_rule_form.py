"""The rule pack edited a rule at a time: the form each kind draws, what a save writes, what it refuses."""

import tomllib

import pytest

from audit.models import AuditEvent
from rulepack import packfile, selectors
from rulepack.kinds import PARAMETER_VALUES, RULE_KINDS, kind_params
from rulepack.models import RulePack
from rulepack.services import (
    default_pack_content,
    rulepack_ensure,
    rulepack_load,
    rulepack_rule_save,
)
from tests.concurrency import race, requires_postgresql
from tests.crawl import problems_in, visible_text


def _form_data(client, url: str) -> dict:
    """What the page's form posts as it stands: every field with its value, as a browser sends them."""
    from html.parser import HTMLParser

    class Fields(HTMLParser):
        def __init__(self):
            super().__init__()
            self.data, self._textarea, self._select = {}, None, None

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            name = attrs.get("name")
            if tag == "input" and name and name != "csrfmiddlewaretoken":
                if attrs.get("type") in ("checkbox", "radio"):
                    if "checked" in attrs:
                        self.data.setdefault(name, []).append(attrs.get("value", "on"))
                elif attrs.get("type") != "file":
                    self.data.setdefault(name, []).append(attrs.get("value", ""))
            elif tag == "textarea" and name:
                self._textarea = name
                self.data.setdefault(name, []).append("")
            elif tag == "select" and name:
                self._select = name
            elif tag == "option" and self._select and "selected" in attrs:
                self.data.setdefault(self._select, []).append(attrs.get("value", ""))

        def handle_endtag(self, tag):
            if tag == "textarea":
                self._textarea = None
            if tag == "select":
                self._select = None

        def handle_data(self, data):
            if self._textarea:
                self.data[self._textarea][-1] += data.removeprefix("\n") if not self.data[self._textarea][-1] else data

    response = client.get(url)
    assert response.status_code == 200, url
    parser = Fields()
    parser.feed(response.content.decode())
    return parser.data


def _rule(pack: RulePack, key: str) -> dict:
    return next(r for r in tomllib.loads(pack.content)["rules"] if r["key"] == key)


@pytest.fixture
def supervisor(client, world):
    client.force_login(world.users["city_supervisor"])
    rulepack_ensure(city=world.node("甲市"))
    return client


@pytest.mark.django_db
class TestTheForms:
    def test_every_rule_and_every_kind_that_takes_more_has_a_form_in_chinese(self, supervisor, world):
        pack = rulepack_ensure(city=world.node("甲市"))
        for rule in pack.rules.all():
            page = supervisor.get(f"/rules/rule/{rule.key}/")
            assert page.status_code == 200, rule.key
            text = visible_text(page.content.decode())[0].replace(world.users["city_supervisor"].username, "")
            assert problems_in(text) == [], (rule.key, problems_in(text))
            for name, spec in kind_params(RULE_KINDS[rule.kind], rule.key).items():
                assert str(spec.label) in text, (rule.key, name)
        for name, kind in RULE_KINDS.items():
            assert supervisor.get(f"/rules/add/{name}/").status_code == (200 if kind.several else 404), name

    def test_every_parameter_is_declared_with_a_label(self, world):
        """A kind (or a value a module reads) with an unlabelled parameter would show its code on the form."""
        for kind in RULE_KINDS.values():
            assert kind.label, kind.name
            for name, spec in kind.params.items():
                assert spec.label, (kind.name, name)
                assert all(column.label for key, column in spec.columns.items() if key != spec.row_key), (kind.name, name)
        default = tomllib.loads(default_pack_content())
        for rule in default["rules"]:
            if rule["kind"] == "parameter":
                assert rule["key"] in PARAMETER_VALUES, rule["key"]

    def test_the_pack_shows_sources_by_name_and_values_with_units(self, client, world, django_assert_max_num_queries):
        client.force_login(world.users["street_admin"])
        rulepack_ensure(city=world.node("甲市"))
        client.get("/rules/")
        with django_assert_max_num_queries(15):  # the same few queries for 55 rules as for one
            page = client.get("/rules/")
        text = visible_text(page.content.decode())[0].replace(world.users["street_admin"].username, "")
        assert problems_in(text) == []
        assert "海宁市" in text and "海宁市人民政府办公室《海宁市社区服务用房建设管理实施意见》" in text
        assert "1500 m²" in text and "50%" in text and "¥50,000" in text and "15 分钟" in text
        assert "党群服务中心" in text and "party_mass_centre" not in page.content.decode()
        # A street reads the rules; only the city's supervisor is offered to change them.
        assert "/rules/rule/" not in page.content.decode() and "/rules/add/" not in page.content.decode()


@pytest.mark.django_db
class TestSavingARule:
    URL = "/rules/rule/registry.community_service_area/"

    def test_a_change_makes_a_new_version_with_the_new_value_and_an_audit_event(self, supervisor, world):
        city = world.node("甲市")
        before = rulepack_ensure(city=city)
        data = _form_data(supervisor, self.URL)
        data.update({"p_min_m2": ["1800"], "title": ["社区服务用房总面积不少于1800平方米"]})
        response = supervisor.post(self.URL, data)
        assert response.status_code == 302, response.content.decode()[:2000]
        after = RulePack.objects.get(city=city, is_active=True)
        assert after != before and after.version == "2026.4.1"
        before.refresh_from_db()
        assert not before.is_active and _rule(before, "registry.community_service_area")["params"]["min_m2"] == 1500
        assert selectors.rule(division=world.node("甲市一区"), key="registry.community_service_area").params["min_m2"] == 1800
        event = AuditEvent.objects.get(action="rulepack.rule.changed")
        assert event.actor == world.users["city_supervisor"]
        assert event.changes["最低面积"] == ["1500 m²", "1800 m²"]
        assert "最低面积：1500 m² → 1800 m²" in after.note
        # Only that rule's block changed: the file's Chinese comments and every other rule are as they were.
        assert "# 社区服务用房达标" in after.content and "# 依据文件：" in after.content
        assert tomllib.loads(after.content)["rules"][1:] == tomllib.loads(before.content)["rules"][1:]
        assert "1800" in supervisor.get(response["Location"]).content.decode()

    @pytest.mark.parametrize("url, field, value, message", [
        (URL, "p_min_m2", "-20", "“最低面积”应在0 m²至100000 m²之间。"),
        ("/rules/rule/funds.committee/", "p_quorum_share", "120", "“参加表决的委员不少于”应在0%至100%之间。"),
        ("/rules/rule/funds.committee/", "p_min_members", "2", "“委员不少于”应在3 人至50 人之间。"),
        ("/rules/rule/registry.required_functions/", "p_functions", "bowling_alley", "“bowling_alley”不在可选范围内"),
        ("/rules/rule/scheduling.no_show_minutes/", "p_value", "十五", "“开始后未签到即释放的时间”须为整数。"),
        ("/rules/rule/operations.low_cost_cap/", "p_max_price", "", "请填写“每次不超过”。"),
    ])
    def test_a_bad_value_is_refused_with_its_message_and_nothing_changes(self, supervisor, world, url, field, value, message):
        before = RulePack.objects.get(city=world.node("甲市"), is_active=True)
        events = AuditEvent.objects.count()
        data = _form_data(supervisor, url)
        data[field] = [value]
        response = supervisor.post(url, data)
        assert response.status_code == 422
        assert message in response.content.decode()
        assert RulePack.objects.get(city=world.node("甲市"), is_active=True) == before
        assert AuditEvent.objects.count() == events

    def test_a_number_in_the_title_is_changed_with_the_value(self, supervisor, world):
        data = _form_data(supervisor, self.URL)
        data["p_min_m2"] = ["1800"]
        response = supervisor.post(self.URL, data)
        assert response.status_code == 422
        assert "标题中仍写着原来的数值1500" in response.content.decode()

    def test_saving_without_a_change_changes_nothing(self, supervisor, world):
        response = supervisor.post(self.URL, _form_data(supervisor, self.URL))
        assert response.status_code == 422 and "没有任何修改" in response.content.decode()
        assert RulePack.objects.filter(city=world.node("甲市")).count() == 1

    def test_a_form_opened_before_someone_elses_change_saves_nothing(self, supervisor, world):
        stale = _form_data(supervisor, self.URL)
        fresh = _form_data(supervisor, self.URL)
        fresh.update({"p_min_m2": ["1600"], "title": ["社区服务用房总面积不少于1600平方米"]})
        assert supervisor.post(self.URL, fresh).status_code == 302
        stale.update({"p_min_m2": ["1700"], "title": ["社区服务用房总面积不少于1700平方米"]})
        response = supervisor.post(self.URL, stale)
        assert response.status_code == 409 and "已被他人修改" in response.content.decode()
        assert selectors.rule(division=world.node("甲市"), key="registry.community_service_area").params["min_m2"] == 1600

    def test_a_table_is_edited_row_by_row(self, supervisor, world):
        url = "/rules/rule/neighbourhood.feedback_categories/"
        data = _form_data(supervisor, url)
        rows = int(data["t_categories-INITIAL_FORMS"][0])
        data["t_categories-0-sla_days"] = ["2"]  # 环境卫生: 3 days → 2
        data["t_categories-1-DELETE"] = ["on"]  # 公共设施损坏 goes
        new = f"t_categories-{rows}-"
        data.update({new + "name": ["垃圾分类"], new + "group": ["人居环境"], new + "level": ["community"],
                     new + "sla_days": ["5"], new + "description": ["分类投放、清运"]})
        response = supervisor.post(url, data)
        assert response.status_code == 302, response.content.decode()[:3000]
        categories = selectors.rule(division=world.node("甲市"), key="neighbourhood.feedback_categories").params["categories"]
        by_name = {c["name"]: c for c in categories}
        assert by_name["环境卫生"]["sla_days"] == 2 and by_name["环境卫生"]["code"] == "environment_sanitation"
        assert "公共设施损坏" not in by_name and len(categories) == rows
        assert by_name["垃圾分类"]["level"] == "community" and by_name["垃圾分类"]["code"]
        changes = AuditEvent.objects.get(action="rulepack.rule.changed").changes
        assert changes["诉求类别：环境卫生·办结时限"] == ["3 天", "2 天"]

    def test_a_share_is_entered_as_a_percentage(self, supervisor, world):
        url = "/rules/rule/registry.ground_floor_share/"
        data = _form_data(supervisor, url)
        assert data["p_min_share"] == ["50.0"] or data["p_min_share"] == ["50"]
        data.update({"p_min_share": ["60"], "title": ["底层面积不少于总面积的60%"]})
        assert supervisor.post(url, data).status_code == 302
        assert selectors.rule(division=world.node("甲市"), key="registry.ground_floor_share").params["min_share"] == 0.6


@pytest.mark.django_db
class TestAddingARule:
    def test_a_city_adds_a_life_circle_facility_kind_through_the_form(self, supervisor, world):
        from planning.services import facility_kinds

        url = "/rules/add/life_circle_facility/"
        data = _form_data(supervisor, url)
        data.update({"title": ["文体活动室（10分钟）"], "source": ["Zibo"], "citation": ["预留更多区域。"],
                     "p_functions": ["sports_room", "reading_room"], "p_osm_tags": ["leisure=sports_centre"],
                     "p_minutes": ["10"], "enabled": ["on"]})
        response = supervisor.post(url, data)
        assert response.status_code == 302, response.content.decode()[:3000]
        kinds = facility_kinds(world.node("甲市"))
        added = next(k for k in kinds.values() if k.title == "文体活动室（10分钟）")
        assert added.functions == ("sports_room", "reading_room") and added.minutes == 10
        assert AuditEvent.objects.filter(action="rulepack.rule.added").exists()

    def test_a_kind_read_by_its_one_rule_takes_no_other(self, supervisor, world):
        assert supervisor.get("/rules/add/committee/").status_code == 404


@pytest.mark.django_db
class TestWhoMayChange:
    @pytest.mark.parametrize("role, status", [
        ("street_admin", 403), ("supervisor", 403), ("community_worker", 403), ("resident", 404)])
    def test_only_the_citys_supervisor_changes_a_rule(self, client, world, role, status):
        rulepack_ensure(city=world.node("甲市"))
        client.force_login(world.users[role])
        url = "/rules/rule/registry.community_service_area/"
        assert client.get(url).status_code == status
        assert client.post(url, {"p_min_m2": "1"}).status_code == status
        assert client.post("/rules/file/", {"content": default_pack_content(), "note": "x"}).status_code == status
        assert RulePack.objects.count() == 1


@pytest.mark.django_db
class TestTheFileAndTheFormAgree:
    def test_the_file_changed_by_hand_loads_the_same_rules_as_the_form(self, supervisor, world):
        city, other = world.node("甲市"), world.node("乙市")
        url = "/rules/rule/funds.committee/"
        data = _form_data(supervisor, url)
        data.update({"p_min_members": ["5"], "p_quorum_share": ["75"], "title": ["基金管理委员会不少于5人，过半数通过"]})
        assert supervisor.post(url, data).status_code == 302
        by_form = RulePack.objects.get(city=city, is_active=True)
        by_hand = rulepack_load(actor="t", city=other, content=default_pack_content()
                                .replace("min_members = 3", "min_members = 5").replace("quorum_share = 0.66", "quorum_share = 0.75")
                                .replace("基金管理委员会不少于3人，过半数通过", "基金管理委员会不少于5人，过半数通过"))

        def rules(pack):
            return [(r.key, r.kind, r.title, r.params, r.source.tag, r.citation, r.enabled)
                    for r in pack.rules.select_related("source").order_by("order")]

        assert rules(by_form) == rules(by_hand)
        # And the form's file, downloaded and loaded again, is the same pack.
        reloaded = rulepack_load(actor="t", city=other, content=by_form.content)
        assert rules(reloaded) == rules(by_form)

    def test_a_file_laid_out_by_hand_is_written_anew_with_the_same_rules(self):
        content = default_pack_content().replace("[rules.params]\nmax_share = 0.3", "params = { max_share = 0.3 }")
        data = tomllib.loads(content)
        rule = {**next(r for r in data["rules"] if r["key"] == "registry.office_share"), "params": {"max_share": 0.25}}
        written = packfile.with_rule(content, rule, kind=RULE_KINDS["office_share_max"], version="9")
        expected = [rule if r["key"] == rule["key"] else r for r in data["rules"]]
        assert tomllib.loads(written)["rules"] == expected and tomllib.loads(written)["version"] == "9"


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_supervisors_saving_at_once_make_one_version(world):
    city = world.node("甲市")
    base = rulepack_ensure(city=city)
    rule = _rule(base, "registry.centre_area")

    def save(area):
        return lambda: rulepack_rule_save(actor=world.users["city_supervisor"], city=city, base=base, kind="site_area_min",
                                          key="registry.centre_area", title=f"党群服务中心面积不少于{area}平方米",
                                          source="Haining", citation=rule["citation"],
                                          params={**rule["params"], "min_m2": area})[0].version

    outcomes = race([save(900), save(1000)])
    assert outcomes == {"2026.4.1": 1, "refused:pack_changed": 1}
    assert RulePack.objects.filter(city=city).count() == 2
