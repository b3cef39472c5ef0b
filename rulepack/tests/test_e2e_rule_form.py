"""End to end in a real browser: the city's supervisor changes a number on its rule's form, on a
desk and on a phone."""

import pytest

from rulepack import selectors
from rulepack.services import rulepack_ensure
from tests.browser import browser_page, requires_chromium, screenshot, sign_in


@requires_chromium
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_supervisor_changes_a_number_on_its_form_and_reads_what_changed(live_server, world):
    rulepack_ensure(city=world.node("甲市"))
    with browser_page() as page:
        sign_in(page, live_server.url, "city_supervisor_a", next_path="/rules/")
        rule = page.locator("#rule-registry\\.centre_area")
        assert "800 m²" in rule.inner_text() and "海宁市" in rule.inner_text()
        rule.locator("text=修改").click()
        page.wait_for_selector("input[name=p_min_m2]")
        assert "其中社区党群服务中心（综合服务中心）面积不得少于800平方米" in page.locator(".rule-excerpt").inner_text()
        page.fill("input[name=p_min_m2]", "-1")
        page.click("text=保存为新版本")
        assert "“最低面积”应在0 m²至100000 m²之间。" in page.locator("main").inner_text()
        screenshot(page, "rule-form-refused")
        page.fill("input[name=p_min_m2]", "1000")
        page.fill("input[name=title]", "党群服务中心（综合服务中心）面积不少于1000平方米")
        page.click("text=保存为新版本")
        page.wait_for_url(f"{live_server.url}/rules/#rule-registry.centre_area")
        assert "最低面积：800 m² → 1000 m²" in page.locator(".alert").first.inner_text()
        screenshot(page, "rule-pack-after-a-change")
    assert selectors.rule(division=world.node("甲市"), key="registry.centre_area").params["min_m2"] == 1000


@requires_chromium
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_rule_pack_and_a_rules_form_fit_a_phone(live_server, world):
    rulepack_ensure(city=world.node("甲市"))
    with browser_page(phone=True) as page:
        sign_in(page, live_server.url, "city_supervisor_a", next_path="/rules/")
        for path in ("/rules/", "/rules/rule/neighbourhood.feedback_categories/", "/rules/rule/registry.star_rating/"):
            page.goto(f"{live_server.url}{path}")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{path} is {width}px wide on a 390px phone"
        screenshot(page, "rule-form-phone")
