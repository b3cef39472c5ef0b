"""End to end in a real browser: a community worker signs in and sees the Chinese dashboard."""

import pytest

from tests.browser import browser_page, requires_chromium, screenshot, sign_in
from tests.world import PASSWORD


@requires_chromium
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_community_worker_signs_in_and_sees_the_chinese_dashboard(live_server, world):
    with browser_page() as page:
        page.goto(f"{live_server.url}/accounts/login/")
        assert page.locator("h1").inner_text() == "登录邻里"
        page.fill("input[name=username]", "community_worker_a")
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        assert "工作台" in page.locator("nav").inner_text()
        scope = page.locator(".card", has=page.locator(".figure-tile")).first
        assert "常住人口" in scope.inner_text()
        assert "1,000" in scope.inner_text()  # the community's residents, grouped the Chinese way
        assert "甲市一区一街二社" not in page.content()
        screenshot(page, "dashboard-community-worker")

        page.click("nav >> text=场所与用房")
        page.click("nav >> text=行政区划")
        page.wait_for_selector("#division-map .leaflet-interactive", timeout=10000)
        screenshot(page, "division-community")


@requires_chromium
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_dashboard_fits_a_phone(live_server, world):
    with browser_page(phone=True) as page:
        sign_in(page, live_server.url, "street_admin_a")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width}px wide on a 390px phone"
        page.click(".navbar-toggler")
        page.wait_for_selector("#mainNav.show")
        screenshot(page, "dashboard-street-admin-phone")
