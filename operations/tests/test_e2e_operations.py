"""End to end in a real browser: the street's compliance page, and a report filed and confirmed."""

import pytest

from tests.browser import browser_page, requires_chromium, screenshot, sign_in

from .conftest import in_force, last_month

pytestmark = [requires_chromium, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_street_sees_the_breach_with_its_figures_and_the_savings(live_server, world, ops):
    agreement = in_force(world, ops, terms={"annual_rent": "0"})
    in_force(world, ops, room=ops.barn, terms={"title": "村集体活动室托育", "collective_resolution": "村代会〔2026〕1号"})
    with browser_page() as page:
        sign_in(page, live_server.url, "street_admin_a")
        page.goto(f"{live_server.url}/operations/compliance/{ops.street.code}/?year={agreement.starts_on.year}")
        page.wait_for_selector("#savings-chart canvas")
        text = page.inner_text("main")
        assert "以场地换服务：合规与节支" in text
        assert "行政事业性国有资产无偿出借仅限非营利性事项" in text and "少儿美术" in text
        assert "¥1,200,000" in text  # two agreements' renovation paid by the operator in the year they started
        assert f"{agreement.starts_on.year}年运营方承担的装修费用" in text
        assert "甲市一区二街" not in text
        screenshot(page, "operations-compliance-street")


def test_an_operator_files_a_report_and_the_community_confirms_it(live_server, world, ops):
    agreement = in_force(world, ops)
    with browser_page(phone=True) as page:
        sign_in(page, live_server.url, "operator_staff_a")
        page.goto(f"{live_server.url}/operations/agreements/{agreement.pk}/")
        page.fill("input[name=report-month]", last_month().strftime("%Y-%m"))
        page.fill("input[name=report-revenue_low_cost]", "8000")
        page.fill("input[name=report-revenue_market]", "6000")
        page.fill("input[name=report-operating_cost]", "20000")
        page.fill("input[name=report-sessions_free]", "12")
        page.fill("input[name=report-people_free]", "300")
        page.click("text=报送月报")
        page.wait_for_selector("text=月报已报送")
        assert "¥1,000.00" in page.inner_text("main")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width}px wide on a 390px phone"
        screenshot(page, "operations-report-phone")
    with browser_page() as page:
        sign_in(page, live_server.url, "community_worker_a")
        page.goto(f"{live_server.url}/operations/")
        page.click(f"text={last_month().strftime('%Y-%m')} · {ops.operator.name}")
        page.click("text=确认：分成留存待转")  # the community has no fund yet: its share is held for it
        page.wait_for_selector("text=月报已确认")
        assert "已留存，待社区设立基金后转入" in page.inner_text("main")
        screenshot(page, "operations-report-share-held")
