"""End to end in Chromium: the district's supervisor reads the indicators, drafts a notice (the page
shows its progress while the task worker drafts it, then the draft) and publishes it; the street
administrator, on a phone, finds it on the home page and answers it."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from core.measures import Month
from registry import services as registry_services
from supervision import services
from tests.browser import browser_page, requires_chromium, screenshot, sign_in


@requires_chromium
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_notice_is_drafted_from_the_indicators_published_and_answered_on_a_phone(live_server, world):
    from supervision.models import NoticeReceipt

    registry_services.site_create(actor="test", division=world.node("甲市一区一街一社"), name="一社党群服务中心",
                                  kind="party_mass_centre", floor_area=Decimal(1600), ground_floor_area=Decimal(1600),
                                  property_class="state_admin", property_source="street_owned")
    services.snapshot_take(city=world.node("甲市"), month=Month(date(2026, 11, 1)),
                           now=datetime(2026, 11, 20, tzinfo=ZoneInfo("Asia/Shanghai")))
    district = world.node("甲市一区")
    with browser_page() as page:
        sign_in(page, live_server.url, "supervisor_a", next_path=f"/supervision/{district.code}/?month=2026-11")
        board = page.inner_text("main")
        assert "社区服务用房面积达标率" in board and "25%" in board and "未达标" in board
        screenshot(page, "supervision-board-district")
        page.goto(f"{live_server.url}/supervision/notices/")
        page.select_option("#draft-month", "2026-11")
        page.locator("form[action$='/notices/draft/'] button").click()
        page.wait_for_selector("#job-status .progress")  # queued: the page polls the notice
        assert "排队中" in page.inner_text("main")
        call_command("db_worker", batch=True, interval=0, startup_delay=False, verbosity=0)
        page.wait_for_selector("#notice-title")  # drafted: the page reloaded itself with the draft
        assert "甲市一区二街" in page.inner_text("main")
        page.fill("#notice-title", "关于11月社区服务用房工作情况的通报")
        page.locator("form[action$='/edit/'] button").click()
        page.wait_for_load_state("networkidle")
        page.once("dialog", lambda dialog: dialog.accept())
        page.locator("form[action$='/publish/'] button").click()
        page.wait_for_load_state("networkidle")
        assert "已发布" in page.inner_text("main")
    with browser_page(phone=True) as page:
        sign_in(page, live_server.url, "street_admin_a")
        page.get_by_role("link", name="关于11月社区服务用房工作情况的通报").click()
        page.wait_for_load_state("networkidle")
        page.fill("textarea[name=response]", "已制定一社区一方案，月底前完成用房置换。")
        screenshot(page, "supervision-notice-answer-phone")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width}px wide on a 390px phone"
        page.get_by_role("button", name="提交回复").click()
        page.wait_for_load_state("networkidle")
        assert "回复已提交民政部门" in page.inner_text("main")
    answered = NoticeReceipt.objects.get(division=world.node("甲市一区一街"))
    assert answered.response.startswith("已制定一社区一方案")
