"""End to end in a real browser: a fund's public disclosure on a resident's phone, without signing in."""

import pytest

from tests.browser import browser_page, requires_chromium, screenshot

from .conftest import approved_project, give, seed

pytestmark = [requires_chromium, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_disclosure_fits_a_phone_and_names_no_anonymous_donor(live_server, world, funds):
    seed(funds.district, "50000.00")
    give(funds.fund, "2000.00", donor="赵六")
    give(funds.fund, "500.00", donor="不具名的钱女士", anonymous=True, receipt="票据-2")
    approved_project(world, funds, budget="1800.00")
    with browser_page(phone=True) as page:
        page.goto(f"{live_server.url}/funds/public/{funds.fund.division.code}/")
        page.wait_for_selector("#income-chart canvas")
        text = page.inner_text("main")
        assert "¥5,000.00" in text and "赵六" in text and "匿名捐赠人" in text and "钱女士" not in text
        assert "老旧小区车棚修缮" in text and "赞成 3" in text
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width}px wide on a 390px phone"
        screenshot(page, "funds-disclosure-phone")
