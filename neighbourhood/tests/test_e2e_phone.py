"""End to end on a phone (390×844, headless Chromium): a resident finds this week's activity,
registers, sends feedback with a photo, supports a need — in Chinese, without sideways scrolling."""

import pytest

from tests.browser import browser_page, requires_chromium, screenshot
from tests.images import jpeg_bytes
from tests.world import PASSWORD

from .. import selectors, services
from ..models import FeedbackRequest, Registration
from .conftest import publish


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px phone"


@requires_chromium
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_resident_registers_sends_feedback_and_supports_a_need_on_a_phone(live_server, world, tmp_path):
    community = world.node("甲市一区一街一社")
    worker = world.users["community_worker"]
    activity = publish(worker, community, title="亲子绘本故事会", days=2, capacity=1, audience="families")
    services.registration_create(actor=_neighbour(world), activity=activity)  # the one place is taken
    need = services.need_record(actor=worker, community=community, kind=selectors.need_kinds().get(code="after_school"), title="需要四点半课堂",
                                on_behalf_of="5号楼")
    photo = tmp_path / "rubbish.jpg"
    photo.write_bytes(jpeg_bytes(64, 48))
    with browser_page(phone=True) as page:
        page.goto(f"{live_server.url}/accounts/login/?next=/neighbourhood/")
        page.fill("input[name=username]", "resident_a")
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{live_server.url}/neighbourhood/")
        assert "我的社区" in page.content() and "甲市一区一街一社" in page.locator(".nb-hero").inner_text()
        assert "本周活动" in page.content() and "亲子绘本故事会" in page.content()
        assert "甲市一区一街二社" not in page.content()
        _fits(page)
        screenshot(page, "neighbourhood-phone-home")

        page.click("text=亲子绘本故事会")
        page.wait_for_url(f"{live_server.url}/neighbourhood/activities/{activity.pk}/")
        assert "已满，可候补" in page.content() or "加入候补" in page.content()
        page.click("button[name=register]")
        page.wait_for_selector(".alert")
        assert "候补" in page.locator(".alert").first.inner_text()
        _fits(page)
        screenshot(page, "neighbourhood-phone-activity-waitlisted")
        assert Registration.objects.get(activity=activity, user=world.users["resident"]).status == "waitlisted"

        page.goto(f"{live_server.url}/neighbourhood/feedback/")
        page.select_option("select[name=category]", "environment_sanitation")
        page.fill("textarea[name=description]", "3号楼门口垃圾两天没有清运")
        page.fill("input[name=address]", "3号楼门口")
        page.set_input_files("input[name=photo]", str(photo))
        page.click("main button[type=submit]")
        page.wait_for_selector("text=办理进度")
        item = FeedbackRequest.objects.get()
        assert item.photo and item.routed_to == community
        assert "环境卫生" in page.content() and "已提交" in page.content()
        _fits(page)
        screenshot(page, "neighbourhood-phone-feedback")

        page.goto(f"{live_server.url}/neighbourhood/needs/")
        page.locator(".nb-card", has_text="需要四点半课堂").locator("button[name=support]").click()
        page.wait_for_selector("text=感谢您的支持", timeout=15000)
        need.refresh_from_db()
        assert need.supports == 2
        _fits(page)
        screenshot(page, "neighbourhood-phone-needs")


def _neighbour(world):
    from tests.world import make_user

    return make_user("linju", role="resident", division=world.node("甲市一区一街一社"))
